"""Fault injection: the kit, the Hub probe and the learner-facing helpers under faults and bad input.

Each case does one fault to a copy of a small fake kit (three fake parts built in seconds, never the
real classifier) or to a loopback endpoint, then asserts: nothing is lost, the message names the fix,
and the fix works. Real processes (builds killed with SIGKILL/SIGTERM, two builds at once, a second
user), real sockets (slow, silent, captive-portal and Hub-like servers on 127.0.0.1), real files.
"""

from __future__ import annotations

import json
import os
import pty
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from helpers import mode, resolve
from helpers.catalog import lookup
from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from instructor_tools.kit import manifest
from helpers.offline_kit import RECIPE_VERSION, part_dir, kit_root
from helpers.resolver import KitDamagedError, UnknownCheckpointError, _in_hf_cache

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
REPAIR = "python -m instructor_tools.kit build"
PROBE_BOUND_S = 2.5  # the probe's deadline is 2 s


# ---------------------------------------------------------------------------------------------
# A small fake kit: three parts with the real kit's folder layout, built in milliseconds.


def _note(part: str) -> None:
    """Log which process built which part (FAULT_LOG), to count builds across processes."""
    log = os.environ.get("FAULT_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {part}\n")


def _fake_builder(part: str):
    def builder(out: Path, log) -> dict:
        _note(part)
        if part == "encoder":
            _wait_for_all_started()
        (out / "config.json").write_text(json.dumps({"part": part}))
        weights = out / "model.safetensors"
        weights.write_bytes(bytes(range(256)) * 16)
        os.chmod(weights, 0o600)  # as safetensors writes its files
        (out / "sub").mkdir()
        (out / "sub" / "vocab.txt").write_text("[PAD]\n[UNK]\n")
        time.sleep(float(os.environ.get("FAULT_DELAY", "0")))
        if os.environ.get("FAULT_HANG_PART") == part:  # stand still here, to be killed
            (out.parent / f".trainer-{out.name}").mkdir()  # as Trainer's output_dir
            (out / "partial.bin").write_bytes(b"\0" * 200_000)
            Path(os.environ["FAULT_READY"]).write_text(str(os.getpid()))
            time.sleep(60)
        facts = {"fake": part}
        if part == "sentiment":
            facts.update(test_accuracy=0.831, validation_accuracy=0.84, train_seconds=1.0)
        return facts

    return builder


FAKE_PARTS = {name: _fake_builder(name) for name in ("encoder", "metric-accuracy", "sentiment")}
CHILD = [
    sys.executable,
    "-c",
    (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_faults; "
        "sys.exit(test_faults.child_main(sys.argv[1:]))"
    ),
]


def child_main(argv: list[str]) -> int:
    """``python -m instructor_tools.kit`` over the fake parts (run by the subprocesses below)."""
    started = os.environ.get("FAULT_STARTED")
    if started:  # say that this process is up (the concurrent-builds case waits for all of them)
        Path(started, str(os.getpid())).touch()
    return kit_cli.main(argv, parts=FAKE_PARTS)


def _wait_for_all_started() -> None:
    """With FAULT_STARTED/FAULT_PROCESSES: hold the first part until every build process is up."""
    started, count = os.environ.get("FAULT_STARTED"), int(os.environ.get("FAULT_PROCESSES", "0"))
    end = time.monotonic() + 20
    while started and len(os.listdir(started)) < count and time.monotonic() < end:
        time.sleep(0.02)
    time.sleep(0.3 if started else 0)  # and a moment for them to reach the lock


def _run(args: list[str], **options) -> subprocess.CompletedProcess:
    """Run a subprocess to the end (at most 2 minutes), capturing its output as text."""
    return subprocess.run(args, check=False, capture_output=True, text=True, timeout=120, **options)


def builds(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [(int(pid), part) for pid, part in (line.split() for line in log.read_text().splitlines())]


def snapshot(*parts: str) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime, size) of every file of ``parts``: equal snapshots mean nothing was touched."""
    found = {}
    for part in parts:
        for path in sorted(part_dir(part).rglob("*")):
            info = path.lstat()
            found[str(path)] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    home = tmp_path_factory.mktemp("template") / "kit"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUICKTOUR_KIT_HOME", str(home))
        kit_build.build(parts=FAKE_PARTS)
    return home


@pytest.fixture
def kit(template, tmp_path, monkeypatch):
    """A fresh copy of the fake kit, as QUICKTOUR_KIT_HOME; builds are logged to ``kit / 'builds.log'``."""
    home = tmp_path / "kit"
    shutil.copytree(template, home, symlinks=True)
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(home))
    monkeypatch.setenv("FAULT_LOG", str(tmp_path / "builds.log"))
    return home


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    mode.reset_mode_cache()
    yield
    mode.reset_mode_cache()


# ---------------------------------------------------------------------------------------------
# Damaged kit files


def test_truncated_file_is_refused_by_resolve_and_repaired(kit, offline, tmp_path, capsys):
    weights = part_dir("sentiment") / "model.safetensors"
    others = snapshot("encoder", "metric-accuracy")
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(KitDamagedError) as info:
        resolve(SENTIMENT)
    message = str(info.value)
    assert "size 100 bytes, expected 4096" in message and f"{REPAIR} --force sentiment" in message
    assert kit_cli.main(["verify", "--quick"], parts=FAKE_PARTS) == 1
    assert f"{REPAIR} --force sentiment" in capsys.readouterr().out
    assert kit_cli.main(["build", "--force", "sentiment"], parts=FAKE_PARTS) == 0  # the command named
    assert resolve(SENTIMENT, quiet=True) == str(part_dir("sentiment"))
    assert kit_build.verify(parts=FAKE_PARTS) == []
    assert snapshot("encoder", "metric-accuracy") == others, "a healthy part was touched"


def test_flipped_byte_is_caught_by_verify_and_repaired(kit, offline, tmp_path):
    weights = part_dir("sentiment") / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    # resolve compares sizes only (it runs in every notebook); the digest check is verify's job.
    assert resolve(SENTIMENT, quiet=True) == str(part_dir("sentiment"))
    assert kit_build.verify(deep=False, parts=FAKE_PARTS) == []
    problems = kit_build.verify(parts=FAKE_PARTS)
    assert len(problems) == 1 and "SHA-256 differs" in problems[0] and f"{REPAIR} --force sentiment" in problems[0]
    kit_build.build(parts=FAKE_PARTS)  # a plain build repairs it too
    assert [part for _, part in builds(tmp_path / "builds.log")] == ["sentiment"]
    assert kit_build.verify(parts=FAKE_PARTS) == []


DAMAGED_MANIFESTS = {
    "empty": "",
    "truncated": '{\n  "parts": {\n    "encoder": {"bytes": 40',
    "{}": "{}",
    "missing parts": json.dumps({"recipe_version": RECIPE_VERSION, "written": "2025-01-01"}),
    "wrong types": json.dumps({"recipe_version": int(RECIPE_VERSION), "written": 1, "parts": []}),
    "a list": "[]",
}


@pytest.mark.parametrize("damage", DAMAGED_MANIFESTS)
def test_damaged_manifest_is_reported_explained_and_rewritten(kit, tmp_path, capsys, damage):
    path = kit_root() / kit_build.MANIFEST
    path.write_text(DAMAGED_MANIFESTS[damage])
    parts = snapshot(*FAKE_PARTS)
    problems = kit_build.verify(parts=FAKE_PARTS)
    assert len(problems) == 1 and "manifest.json" in problems[0] and REPAIR in problems[0]
    assert kit_cli.main(["verify"], parts=FAKE_PARTS) == 1
    assert "kit OK" not in capsys.readouterr().out
    with pytest.raises(kit_build.KitDamagedError, match=REPAIR):
        kit_build.info()
    assert kit_cli.main(["info"], parts=FAKE_PARTS) == 1  # a message, not a traceback
    err = capsys.readouterr().err
    assert "manifest.json" in err and REPAIR in err and "Traceback" not in err
    assert kit_cli.main(["build"], parts=FAKE_PARTS) == 0
    assert builds(tmp_path / "builds.log") == [], "rewriting the manifest rebuilt a part"
    assert snapshot(*FAKE_PARTS) == parts
    assert kit_build.verify(parts=FAKE_PARTS) == [] and set(kit_build.info()["parts"]) == set(FAKE_PARTS)


DAMAGED_RECORDS = {
    "{}": "{}",
    "empty": "",
    "truncated": '{"facts": {}, "files": {"config.json": {"si',
    "null": "null",
    "files is a list": json.dumps({"facts": {}, "files": ["config.json"]}),
    "size is text": json.dumps({"facts": {}, "files": {"config.json": {"size": "20", "sha256": "0" * 64}}}),
    "path escapes": json.dumps({"facts": {}, "files": {"../../x": {"size": 1, "sha256": "0" * 64}}}),
}


@pytest.mark.parametrize("damage", DAMAGED_RECORDS)
def test_damaged_record_is_reported_refused_and_rebuilt(kit, offline, tmp_path, damage):
    (part_dir("sentiment") / manifest.RECORD).write_text(DAMAGED_RECORDS[damage])
    others = snapshot("encoder", "metric-accuracy")
    problems = kit_build.verify(parts=FAKE_PARTS)
    assert problems and all("component.json" in p and f"{REPAIR} --force sentiment" in p for p in problems)
    with pytest.raises(KitDamagedError, match=f"{REPAIR} --force sentiment"):
        resolve(SENTIMENT)
    assert kit_cli.main(["build"], parts=FAKE_PARTS) == 0  # used to crash with KeyError
    assert [part for _, part in builds(tmp_path / "builds.log")] == ["sentiment"]
    assert kit_build.verify(parts=FAKE_PARTS) == []
    assert snapshot("encoder", "metric-accuracy") == others
    assert resolve(SENTIMENT, quiet=True) == str(part_dir("sentiment"))


# ---------------------------------------------------------------------------------------------
# prune and foreign folders


def _old_kit(folder: Path, version: str, with_manifest: bool) -> None:
    part = folder / "models" / "old-part"
    part.mkdir(parents=True)
    (part / "w.bin").write_bytes(b"old")
    if with_manifest:
        (folder / "manifest.json").write_text(json.dumps({"recipe_version": version, "parts": {}}))
    else:  # a build killed before its manifest: only part records
        record = {"facts": {}, "files": {"w.bin": {"size": 3, "sha256": "0" * 64}}}
        (part / "component.json").write_text(json.dumps(record))


def _run_on_tty(args: list[str], answer: str) -> subprocess.CompletedProcess:
    """Run ``args`` with a real terminal as stdin, typing ``answer``."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        os.write(master, answer.encode() + b"\n")  # the terminal holds the line until input() reads it
        out, _ = proc.communicate(timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    return subprocess.CompletedProcess(args, proc.returncode, out)


def test_prune_touches_only_older_kits_and_asks_first(kit, capsys):
    home = kit
    foreign = {
        home / "videos" / "lecture.mp4": b"my video",
        home / "v-notes" / "todo.txt": b"my notes",
        home / "v2" / "mine.txt": b"named like a kit, holds no kit record",
        home / "v9" / "manifest.json": json.dumps({"recipe_version": "9"}).encode(),  # newer: never pruned
    }
    for path, data in foreign.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    _old_kit(home / "v3", "3", with_manifest=True)
    _old_kit(home / "v4", "4", with_manifest=False)
    current = snapshot(*FAKE_PARTS)
    assert kit_build.older_versions() == [home / "v3", home / "v4"]

    # build recommends prune, naming only the older kits
    assert kit_cli.main(["build"], parts=FAKE_PARTS) == 0
    hint = [line for line in capsys.readouterr().out.splitlines() if "instructor_tools.kit prune" in line]
    assert len(hint) == 1 and "v3, v4" in hint[0] and "videos" not in hint[0]

    # no terminal and no --yes: nothing deleted, and the way to do it is named
    quiet = _run(CHILD + ["prune"], stdin=subprocess.DEVNULL)
    assert quiet.returncode == 1 and "prune --yes" in quiet.stdout and "nothing deleted" in quiet.stdout
    assert (home / "v3").is_dir() and (home / "v4").is_dir()

    # on a terminal it lists and asks; "n" keeps everything
    declined = _run_on_tty(CHILD + ["prune"], "n")
    assert "[y/N]" in declined.stdout and str(home / "v3") in declined.stdout and "videos" not in declined.stdout
    assert (home / "v3").is_dir() and (home / "v4").is_dir()

    accepted = _run_on_tty(CHILD + ["prune"], "y")
    assert accepted.returncode == 0 and "removed" in accepted.stdout
    assert not (home / "v3").exists() and not (home / "v4").exists()
    for path, data in foreign.items():
        assert path.read_bytes() == data, f"prune touched {path}"
    assert snapshot(*FAKE_PARTS) == current and kit_build.verify(parts=FAKE_PARTS) == []

    _old_kit(home / "v1", "1", with_manifest=True)
    forced = _run(CHILD + ["prune", "--yes"], stdin=subprocess.DEVNULL)
    assert forced.returncode == 0 and not (home / "v1").exists()
    assert all(path.read_bytes() == data for path, data in foreign.items())


# ---------------------------------------------------------------------------------------------
# Builds killed at each part; two builds at once


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the build exited early:\n{proc.stdout.read()}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError("the build never reached the part to kill")
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("killed_at", list(FAKE_PARTS))
def test_killed_build_leaves_nothing_half_done_and_a_rerun_finishes(tmp_path, monkeypatch, capsys, killed_at, sig):
    home = tmp_path / "kit"
    log, ready = tmp_path / "builds.log", tmp_path / "ready"
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(home))
    monkeypatch.setenv("FAULT_LOG", str(log))
    env = {**os.environ, "FAULT_HANG_PART": killed_at, "FAULT_READY": str(ready)}
    proc = subprocess.Popen(CHILD + ["build"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for(ready, proc)
    during = kit_build.verify(parts=FAKE_PARTS)  # a running build's staging is not stale
    assert any(f"a build (pid {proc.pid}) is running" in p for p in during), during
    assert not any("interrupted build" in p for p in during)
    proc.send_signal(sig)
    assert proc.wait(timeout=20) == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + signal.SIGTERM)
    proc.stdout.close()

    order = list(FAKE_PARTS)
    done, rest = order[: order.index(killed_at)], order[order.index(killed_at):]
    for part in done:
        assert manifest.check(part_dir(part)) == [], f"{part} was built before the kill and is damaged"
    assert manifest.read_record(part_dir(killed_at)) is None, "a half-built part looks complete"
    assert not (kit_root() / kit_build.MANIFEST).exists()
    leftovers = kit_build.stale_staging()
    if sig == signal.SIGKILL:  # nothing can clean up after SIGKILL: verify says what is left and what to run
        names = [p.name for p in leftovers]
        assert any(n.startswith(".tmp-") for n in names) and any(n.startswith(".trainer-") for n in names)
        problems = kit_build.verify(parts=FAKE_PARTS)
        staging_problems = [p for p in problems if "interrupted build" in p]
        assert len(staging_problems) == len(leftovers) and all(REPAIR in p for p in staging_problems)
    else:  # SIGTERM: the build cleaned up its own staging on the way out
        assert leftovers == []
    kept = snapshot(*done)

    monkeypatch.delenv("FAULT_HANG_PART", raising=False)
    assert kit_cli.main(["build"], parts=FAKE_PARTS) == 0
    out = capsys.readouterr().out
    if sig == signal.SIGKILL:
        assert "left by an interrupted build" in out
    assert [part for pid, part in builds(log) if pid != proc.pid] == rest, "the rerun rebuilt a finished part"
    assert kit_build.stale_staging() == [] and kit_build.verify(parts=FAKE_PARTS) == []
    assert snapshot(*done) == kept


def test_two_builds_at_once_build_each_part_once(tmp_path, monkeypatch):
    log = tmp_path / "builds.log"
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    (tmp_path / "started").mkdir()
    env = {**os.environ, "FAULT_LOG": str(log), "FAULT_DELAY": "0.2", "FAULT_STARTED": str(tmp_path / "started"),
           "FAULT_PROCESSES": "2"}
    procs = [
        subprocess.Popen(CHILD + ["build"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outs = [proc.communicate(timeout=60)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outs
    built = builds(log)
    assert sorted(part for _, part in built) == sorted(FAKE_PARTS), f"a part was built twice: {built}"
    builder = {pid for pid, _ in built}
    assert len(builder) == 1
    waiter = 1 - [proc.pid for proc in procs].index(builder.pop())
    assert f"another build (pid {procs[1 - waiter].pid}) is running" in outs[waiter]
    assert outs[waiter].count("up to date") == len(FAKE_PARTS)
    assert kit_build.verify(parts=FAKE_PARTS) == []


# ---------------------------------------------------------------------------------------------
# Permissions: a second user, a private kit home


def _modes(root: Path) -> set[tuple[str, str]]:
    return {("dir" if p.is_dir() else "file", f"{p.stat().st_mode & 0o777:04o}") for p in [root, *root.rglob("*")]}


def _python_for(user: str) -> str | None:
    """A Python that ``user`` may run (the venv's may live under a private home)."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        try:
            if candidate and _run([candidate, "-c", "pass"], user=user, cwd="/").returncode == 0:
                return candidate
        except OSError:
            continue
    return None


def test_second_user_reads_a_shared_kit(monkeypatch):
    old_umask = os.umask(0o022)
    base = Path(tempfile.mkdtemp(prefix="quicktour-shared-"))  # not under pytest's private tmp folder
    try:
        os.chmod(base, 0o755)
        home = base / "kit"
        monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(home))
        kit_build.build(parts=FAKE_PARTS)  # the fake builder writes its weights 0600, as safetensors does
        assert _modes(kit_root()) == {("dir", "0755"), ("file", "0644")}
        assert (home / kit_build.LOCK).stat().st_mode & 0o777 == 0o644

        weights = part_dir("sentiment") / "model.safetensors"
        if os.geteuid() != 0:
            pytest.skip("modes checked; reading as another user needs root to switch users")
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("modes checked; no 'nobody' user here")
        python = _python_for("nobody")
        if python is None:
            pytest.skip("modes checked; no Python that 'nobody' may run")
        code = (
            "import helpers\n"
            f"path = helpers.resolve({SENTIMENT!r}, quiet=True)\n"
            "print(len(open(path + '/model.safetensors', 'rb').read()))\n"
        )
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1",
               "QUICKTOUR_KIT_HOME": str(home), "QUICKTOUR_MODE": "offline", "HF_HUB_OFFLINE": "1"}

        def as_nobody() -> subprocess.CompletedProcess:
            return _run([python, "-c", code], user="nobody", env=env, cwd="/")

        reader = as_nobody()
        assert reader.returncode == 0 and reader.stdout.strip() == "4096", reader.stderr

        # A kit written before this fix (weights 0600): a clear error for the reader, verify names the fix.
        os.chmod(weights, 0o600)
        reader = as_nobody()
        assert reader.returncode != 0 and "KitUnreadableError" in reader.stderr
        assert "permission denied" in reader.stderr and REPAIR in reader.stderr
        problems = kit_build.verify(parts=FAKE_PARTS)
        assert len(problems) == 1 and "model.safetensors: mode 0600" in problems[0] and REPAIR in problems[0]
        kit_build.build(parts=FAKE_PARTS)  # up to date: only the modes are restored
        assert as_nobody().stdout.strip() == "4096"
    finally:
        os.umask(old_umask)
        shutil.rmtree(base, ignore_errors=True)


def test_kit_modes_follow_the_kit_home_not_the_umask(tmp_path, monkeypatch):
    private = tmp_path / "private"
    private.mkdir()
    os.chmod(private, 0o700)  # a home its owner keeps private: the kit stays private
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(private))
    kit_build.build(parts=FAKE_PARTS)
    assert _modes(kit_root()) == {("dir", "0700"), ("file", "0600")}
    assert kit_build.verify(parts=FAKE_PARTS) == []

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)  # a home opened to all: the kit is readable by all, even under umask 077
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(shared))
    old_umask = os.umask(0o077)
    try:
        kit_build.build(parts=FAKE_PARTS)
    finally:
        os.umask(old_umask)
    assert _modes(kit_root()) == {("dir", "0755"), ("file", "0644")}


# ---------------------------------------------------------------------------------------------
# The Hub probe against bad endpoints on loopback


class Endpoint:
    """A loopback HTTP server with one behaviour, on raw sockets (a thread per connection)."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ")[1].decode()
            if self.behaviour == "silent":
                self.stop.wait(30)
                return
            answer = self._answer(path)
            if self.behaviour == "slow":  # a whole valid Hub answer, one byte per second
                for i in range(len(answer)):
                    if self.stop.wait(1.0):
                        return
                    conn.sendall(answer[i : i + 1])
            else:
                conn.sendall(answer)
        except OSError:
            pass
        finally:
            conn.close()

    def _answer(self, path: str) -> bytes:
        def http(status: str, kind: str | None, body: bytes) -> bytes:
            head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
            if kind:
                head += f"Content-Type: {kind}\r\n"
            return head.encode() + b"\r\n" + body

        hub_error = b'{"error":"Invalid credentials in Authorization header"}'
        if self.behaviour in ("hub", "slow"):  # the Hub: 401 with a JSON error without a token
            return http("401 Unauthorized", "application/json", hub_error)
        if self.behaviour == "mirror":  # olah offline: whoami forwarded upstream and failing; repo info answered
            if path.startswith("/api/whoami"):
                return http("504 Gateway Timeout", None, b"")
            return http("401 Unauthorized", "application/json", b'{"error":"Repository not found"}')
        if self.behaviour == "captive":
            return http("200 OK", "text/html", b"<!DOCTYPE html><html><body>Sign in to Cafe Wi-Fi</body></html>")
        if self.behaviour == "empty":
            return http("200 OK", None, b"")
        # JSON that is not the Hub's: a misconfigured proxy or portal answering every path alike
        if self.behaviour == "lone-brace":
            return http("200 OK", "application/json", b"{")
        if self.behaviour == "empty-list":
            return http("200 OK", "text/plain", b"[]")
        if self.behaviour == "proxy-status":
            return http("200 OK", "application/json", b'{"status": "ok", "proxy": "squid"}')
        if self.behaviour == "error-at-200-without-text":
            return http("200 OK", "application/json", b'{"error": ""}')
        if self.behaviour == "repo-info":  # the Hub with a token, or a mirror that has the repository
            if path.startswith("/api/whoami"):
                return http("401 Unauthorized", "application/json", b"{}")
            return http("200 OK", "application/json", b'{"id": "distilbert/distilbert-base-uncased", "sha": "12"}')
        if self.behaviour == "huge":  # a JSON object larger than the probe reads: judged whole or not at all
            return http("200 OK", "application/json", b'{"id": "x", "pad": "' + b"a" * 300_000 + b'"}')
        raise ValueError(self.behaviour)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass


@pytest.fixture
def endpoint():
    made = []

    def make(behaviour: str) -> Endpoint:
        made.append(Endpoint(behaviour))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.mark.parametrize(
    "behaviour, reachable, says",
    [
        ("hub", True, "answered"),
        ("mirror", True, "answered"),  # a Hub mirror (olah) answering repo info in JSON
        ("captive", False, "HTML page"),
        ("empty", False, "no body"),
        ("lone-brace", False, "not the Hub API's"),
        ("empty-list", False, "not the Hub API's"),
        ("proxy-status", False, "not the Hub API's"),
        ("error-at-200-without-text", False, "not the Hub API's"),
        ("repo-info", True, "answered"),
        ("huge", False, "not the Hub API's"),
        ("slow", False, "did not answer within 2 s"),
        ("silent", False, "did not answer within 2 s"),
    ],
)
def test_probe_verdict_and_deadline(endpoint, behaviour, reachable, says):
    server = endpoint(behaviour)
    start = time.monotonic()
    verdict, why = mode.probe_hub(server.url)
    took = time.monotonic() - start
    assert verdict is reachable and says in why, why
    assert took < PROBE_BOUND_S, f"the probe took {took:.2f} s"


def test_dns_that_never_answers_is_bounded_by_the_deadline(monkeypatch):
    release = threading.Event()

    def never_answers(*args, **kwargs):
        release.wait(30)
        raise socket.gaierror("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", never_answers)
    try:
        start = time.monotonic()
        verdict, why = mode.probe_hub("http://hub.example.invalid")
        took = time.monotonic() - start
    finally:
        release.set()
    assert not verdict and "did not answer within 2 s" in why
    assert took < PROBE_BOUND_S, f"the probe took {took:.2f} s"


def test_setup_against_the_slowest_endpoint(endpoint, fresh_mode, monkeypatch):
    import torch  # noqa: F401  (setup seeds torch: import it first, to time setup itself)

    import helpers

    server = endpoint("slow")
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    start = time.monotonic()
    session = helpers.setup(quiet=True)
    took = time.monotonic() - start
    print(f"\nhelpers.setup() against a one-byte-per-second endpoint: {took:.2f} s")
    assert session.offline and "did not answer within 2 s" in session.mode.reason
    assert took < 3.0


def test_setup_behind_a_captive_portal_is_offline(endpoint, fresh_mode, monkeypatch):
    import helpers

    monkeypatch.setenv("HF_ENDPOINT", endpoint("captive").url)
    session = helpers.setup(quiet=True)
    assert session.offline and "captive portal" in session.mode.reason


# ---------------------------------------------------------------------------------------------
# The Hugging Face cache: only what the libraries can load counts


def _hub_repo(hf_home: Path, repo: str, files: dict[str, bytes], incomplete: bool = False) -> Path:
    folder = hf_home / "hub" / f"models--{repo.replace('/', '--')}"
    revision = "0" * 40
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(revision)
    snapshot_dir = folder / "snapshots" / revision
    blobs = folder / "blobs"
    blobs.mkdir(exist_ok=True)
    for name, data in files.items():
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        (snapshot_dir / name).parent.mkdir(parents=True, exist_ok=True)
        link = snapshot_dir / name
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(blobs / digest, link.parent))
    if incomplete:
        (blobs / ("f" * 64 + ".incomplete")).write_bytes(b"half")
    return folder


def test_interrupted_hf_download_loses_to_the_kit(kit, fresh_mode, tmp_path, monkeypatch, capsys):
    fresh_mode(False, "simulated: the Hub did not answer")  # auto mode, offline
    hf = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_DATASETS_CACHE", "HF_MODULES_CACHE"):
        monkeypatch.delenv(name, raising=False)
    repo = _hub_repo(hf, SENTIMENT, {"config.json": b"{}"}, incomplete=True)  # the download stopped after config.json
    assert resolve(SENTIMENT) == str(part_dir("sentiment"))
    assert "offline kit" in capsys.readouterr().out
    # weights without a tokenizer file, or with an unfinished blob, still lose
    _hub_repo(hf, SENTIMENT, {"model.safetensors": b"w"})
    assert not _in_hf_cache(lookup(SENTIMENT))
    _hub_repo(hf, SENTIMENT, {"tokenizer.json": b"{}", "vocab.txt": b"a"})
    assert not _in_hf_cache(lookup(SENTIMENT)), "an unfinished blob was ignored"
    for blob in repo.glob("blobs/*.incomplete"):
        blob.unlink()  # the download finished
    assert resolve(SENTIMENT) == SENTIMENT
    assert "local Hugging Face cache" in capsys.readouterr().out


def test_sharded_weights_count_only_when_every_shard_is_there(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    files = {"config.json": b"{}", "tokenizer.json": b"{}", "model.safetensors.index.json": json.dumps(index).encode(),
             "model-00001-of-00002.safetensors": b"1"}
    _hub_repo(tmp_path / "hf", SENTIMENT, files)
    assert not _in_hf_cache(lookup(SENTIMENT))
    _hub_repo(tmp_path / "hf", SENTIMENT, {"model-00002-of-00002.safetensors": b"2"})
    assert _in_hf_cache(lookup(SENTIMENT))


MODEL_PROBE = r"""
import json, shutil, sys
from pathlib import Path

from transformers import (
    AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertForSequenceClassification, BertTokenizerFast,
)

from helpers.catalog import lookup
from helpers.resolver import _in_hf_cache

work, repo = Path(sys.argv[1]), sys.argv[2]
vocab = work / "vocab.txt"
vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film"]) + "\n")
saved = work / "saved"
BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(saved)
config = BertConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                    max_position_embeddings=32)
BertForSequenceClassification(config).save_pretrained(saved)
repo_dir = work / "hf" / "hub" / f"models--{repo.replace('/', '--')}"
snapshot = repo_dir / "snapshots" / ("0" * 40)
snapshot.mkdir(parents=True)
(repo_dir / "refs").mkdir()
(repo_dir / "refs" / "main").write_text("0" * 40)

def state():
    try:
        AutoTokenizer.from_pretrained(repo)
        AutoModelForSequenceClassification.from_pretrained(repo)
        loads = True
    except Exception:
        loads = False
    return [loads, _in_hf_cache(lookup(repo))]

results = {}
shutil.copy(saved / "config.json", snapshot / "config.json")  # a download interrupted after config.json
results["config only"] = state()
for name in saved.iterdir():
    shutil.copy(name, snapshot / name.name)
results["complete"] = state()
print(json.dumps(results))
"""


def test_model_counts_as_cached_exactly_when_transformers_loads_it_offline(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "QUICKTOUR_MODE": "offline",
           "PYTHONPATH": str(REPO)}
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        env.pop(name, None)
    run = _run([sys.executable, "-c", MODEL_PROBE, str(tmp_path), SENTIMENT], env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    # [transformers loads it offline, resolve counts it as cached]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"config only": [False, False], "complete": [True, True]}


DATASET_PROBE = r"""
import json, shutil, sys
from pathlib import Path

from datasets import Dataset, load_dataset
from datasets.packaged_modules.parquet.parquet import Parquet

from helpers.resolver import _dataset_cached

work, cache = Path(sys.argv[1]), Path(sys.argv[2])  # cache is $HF_DATASETS_CACHE
Dataset.from_dict({"text": ["good", "bad"], "label": [1, 0]}).to_parquet(str(work / "rows.parquet"))

def prepare(repo, config, splits):
    # What load_dataset(repo[, config]) leaves online: an Arrow copy in
    # $HF_DATASETS_CACHE/<namespace>___<name>/<config>/<version>/<hash>/, prepared here from local parquet.
    name = repo.split("/")[-1]
    builder = Parquet(dataset_name=name, config_name=config, cache_dir=str(work / "prep" / config),
                      data_files={split: str(work / "rows.parquet") for split in splits}, hash="0123abcd")
    builder.download_and_prepare()
    info = json.loads(Path(builder.cache_dir, "dataset_info.json").read_text())
    assert info["config_name"] == config, info["config_name"]
    target = cache / repo.replace("/", "___") / config / "0.0.0" / "0123abcd"
    target.parent.mkdir(parents=True)
    Path(builder.cache_dir).rename(target)
    return target

def state(repo, config=None):
    try:
        load_dataset(repo, config) if config else load_dataset(repo)
        loads = True
    except Exception:
        loads = False
    try:  # as _in_hf_cache calls it: an unreadable cache counts as not cached
        cached = _dataset_cached(repo, config)
    except (OSError, ValueError):
        cached = False
    return [loads, cached]

results = {}
RT = "cornell-movie-review-data/rotten_tomatoes"
results["nothing"] = state(RT)
folder = prepare(RT, "default", ["train", "test"])
results["complete"] = state(RT)
(folder / "rotten_tomatoes-test.arrow").rename(work / "aside.arrow")
results["a split missing"] = state(RT)
(work / "aside.arrow").rename(folder / "rotten_tomatoes-test.arrow")
(folder / "dataset_info.json").rename(work / "info.json")
results["no dataset_info.json"] = state(RT)
LS = "hf-internal-testing/librispeech_asr_dummy"
prepare(LS, "clean", ["validation"])
results["one config, none named"] = state(LS)
prepare(LS, "other", ["validation"])
results["two configs, none named"] = state(LS)
results["two configs, one named"] = state(LS, "clean")
shutil.rmtree(cache / LS.replace("/", "___") / "clean")
results["the named config missing"] = state(LS, "clean")
print(json.dumps(results))
"""


def test_dataset_counts_as_cached_exactly_when_datasets_loads_it_offline(tmp_path):
    cache = tmp_path / "datasets"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "HF_DATASETS_CACHE": str(cache), "PYTHONPATH": str(REPO)}
    run = _run([sys.executable, "-c", DATASET_PROBE, str(tmp_path), str(cache)], env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout.strip().splitlines()[-1])
    # [datasets loads it offline, resolve counts it as cached]: both agree in every state
    assert results == {
        "nothing": [False, False],
        "complete": [True, True],
        "a split missing": [False, False],
        "no dataset_info.json": [False, False],
        "one config, none named": [True, True],
        "two configs, none named": [False, False],
        "two configs, one named": [True, True],
        "the named config missing": [False, False],
    }


METRIC_PROBE = r"""
import json, shutil, sys
from pathlib import Path

import evaluate

from helpers.catalog import lookup
from helpers.resolver import _in_hf_cache

modules, source = Path(sys.argv[1]), Path(sys.argv[2])

def state():
    try:
        loads = evaluate.load("accuracy").compute(predictions=[1, 0], references=[1, 1]) == {"accuracy": 0.5}
    except Exception:
        loads = False
    return [loads, _in_hf_cache(lookup("accuracy"))]

results = {"nothing": state()}
folder = modules / "evaluate_modules" / "metrics" / "evaluate-metric--accuracy" / ("a" * 64)
folder.mkdir(parents=True)
results["empty hash folder"] = state()  # a download interrupted before the script was written
shutil.copy(source, folder / "accuracy.py")
results["module"] = state()
print(json.dumps(results))
"""


def test_metric_counts_as_cached_exactly_when_evaluate_loads_it_offline(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_MODULES_CACHE": str(tmp_path / "modules"),
           "HF_HUB_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    source = REPO / "instructor_tools" / "kit" / "metric_modules" / "accuracy.py"
    run = _run([sys.executable, "-c", METRIC_PROBE, str(tmp_path / "modules"), str(source)], env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "nothing": [False, False], "empty hash folder": [False, False], "module": [True, True]
    }


# ---------------------------------------------------------------------------------------------
# Learner-facing helpers under bad input


def test_check_accepts_numpy_bools_and_names_other_types(capsys):
    import numpy as np

    from helpers import check

    check("numpy comparison", np.arange(3), lambda a: a[2] == 2, "unused")
    assert "correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint"):
        check("numpy comparison", np.float32(1.0), lambda a: a > 2, "look again")
    # an array answer compared element by element is the learner's to fix (issue 31): "not yet" and the hint
    with pytest.raises(AssertionError, match=r"not yet \(the answer is a numpy\.ndarray.*Hint: one number"):
        check("array", np.arange(3), lambda a: a == 2, "one number")
    with pytest.raises(TypeError, match="got str"):
        check("text", "yes", lambda a: a, "unused")


OPTION_LIKE_TEXTS = ["-5 degrees outside", "--stdin hello there", "--help me please", "-w {dir}/evil.wav hello"]


@pytest.mark.parametrize("text", OPTION_LIKE_TEXTS)
def test_synthesize_speaks_text_that_looks_like_options(tmp_path, text):
    pytest.importorskip("soundfile")
    from helpers.audio import decode, espeak, synthesize

    try:
        espeak()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    start = time.monotonic()
    wav = synthesize(text.format(dir=tmp_path), tmp_path / "clip.wav")
    assert time.monotonic() - start < 10, "espeak-ng waited for input"
    clip = decode({"path": str(wav)}, 16_000)
    assert len(clip["array"]) > 0.5 * 16_000, "too short to be the sentence"
    assert not (tmp_path / "evil.wav").exists(), "the text was read as options"


def test_decode_names_the_file_it_cannot_read(tmp_path):
    pytest.importorskip("soundfile")
    from helpers.audio import AudioDecodeError, decode

    missing = tmp_path / "missing.wav"
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        decode({"path": str(missing)}, 16_000)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match=r"empty\.wav is empty"):
        decode({"path": str(empty)}, 16_000)
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    with pytest.raises(AudioDecodeError, match=r"notes\.wav is not audio"):
        decode({"path": str(text)}, 16_000)
    with pytest.raises(AudioDecodeError, match="clip_7.wav"):
        decode({"bytes": b"garbage", "path": "clip_7.wav"}, 16_000)


def test_speedup_of_zero_timings_says_they_were_too_short():
    from helpers.timing import Timing, speedup

    line = speedup(Timing("one at a time", 8, 0.0), Timing("batched", 8, 0.0))
    assert "nan" not in line and "inf" not in line and "too short" in line
    line = speedup(Timing("one at a time", 8, 1.0), Timing("batched", 8, 0.0))  # one side zero: no ×inf either
    assert "nan" not in line and "inf" not in line and "too short" in line


def test_a_huge_name_is_shortened_in_the_error(offline, kit):
    with pytest.raises(UnknownCheckpointError) as info:
        resolve("x" * 100_000)
    message = str(info.value)
    assert len(message) < 2_000 and "100,000 characters" in message


def test_kit_home_with_a_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", "~/kit")
    monkeypatch.chdir(tmp_path)
    assert kit_root() == tmp_path / "home" / "kit" / f"v{RECIPE_VERSION}"
    kit_build.build(parts=FAKE_PARTS)
    assert not (tmp_path / "~").exists() and kit_build.verify(parts=FAKE_PARTS) == []


# ---------------------------------------------------------------------------------------------
# Links in the kit home: the kit holds none, and never builds, repairs or sets modes through one.


def _private_outside(tmp_path: Path) -> Path:
    outside = tmp_path / "private"
    outside.mkdir(mode=0o700)
    (outside / "secret.txt").write_text("mine\n")
    os.chmod(outside / "secret.txt", 0o600)
    return outside


def test_a_part_folder_that_is_a_link_is_rebuilt_in_place_without_touching_its_target(tmp_path, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    kit_build.build(parts=FAKE_PARTS)
    outside = _private_outside(tmp_path)
    part = part_dir("sentiment")
    shutil.rmtree(part)
    part.symlink_to(outside, target_is_directory=True)
    assert any("symbolic link" in p for p in kit_build.verify(parts=FAKE_PARTS))
    kit_build.build(parts=FAKE_PARTS)
    assert not part.is_symlink() and kit_build.verify(parts=FAKE_PARTS) == []
    assert stat.S_IMODE(outside.stat().st_mode) == 0o700
    assert stat.S_IMODE((outside / "secret.txt").stat().st_mode) == 0o600
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_a_linked_file_inside_a_part_is_a_problem_and_its_target_keeps_its_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    kit_build.build(parts=FAKE_PARTS)
    outside = _private_outside(tmp_path)
    weights = part_dir("encoder") / "model.safetensors"
    weights.unlink()
    weights.symlink_to(outside / "secret.txt")
    assert any("symbolic link" in p for p in kit_build.verify(parts=FAKE_PARTS))
    kit_build.build(parts=FAKE_PARTS)  # repairs the part
    assert not weights.is_symlink() and kit_build.verify(parts=FAKE_PARTS) == []
    assert stat.S_IMODE((outside / "secret.txt").stat().st_mode) == 0o600


def test_a_linked_kit_folder_stops_the_build_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    outside = _private_outside(tmp_path)
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / f"v{RECIPE_VERSION}").symlink_to(outside, target_is_directory=True)
    assert kit_cli.main(["build"], parts=FAKE_PARTS) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert stat.S_IMODE(outside.stat().st_mode) == 0o700

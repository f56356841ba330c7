"""Tests of ``instructor_tools.kit.build`` (through ``python -m instructor_tools.kit``): the kit under faults.

Each case does one fault to a copy of a small fake kit (three fake parts built in seconds, never the real
classifier), then asserts: nothing is lost, the message names the fix, and the fix works. Real processes (builds
killed with SIGKILL/SIGTERM, two builds at once), real files. The fake kit's parts and helpers below are shared with
the fault cases of the other kit modules (test_resolver.py, test_offline_kit.py, test_kit_manifest.py); the
``template``, ``kit`` and ``offline`` fixtures are in conftest.py.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import resolve
from helpers.offline_kit import RECIPE_VERSION, kit_root, part_dir
from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from instructor_tools.kit import manifest

TESTS = Path(__file__).resolve().parent
SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
REPAIR = "python -m instructor_tools.kit build"


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
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_kit_build; "
        "sys.exit(test_kit_build.child_main(sys.argv[1:]))"
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


# ---------------------------------------------------------------------------------------------
# Damaged kit files


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

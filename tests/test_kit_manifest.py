"""Tests of ``instructor_tools.kit.manifest``: parts committed atomically with their records, the checks that catch
damaged files, and the kit's file modes, with the plain build, verify and prune runs over them (the build's fault
cases are in test_kit_build.py). With the fault cases of permissions: a second user reads a shared kit, and the
modes follow the kit home, not the umask (on the small fake kit of test_kit_build.py)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from helpers.offline_kit import kit_root, part_dir
from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from instructor_tools.kit import manifest
from tests.test_kit_build import FAKE_PARTS, REPAIR, SENTIMENT, _run

REPO = Path(__file__).resolve().parents[1]


def make_part(folder_name="part", content=b"weights"):
    final = kit_root() / folder_name
    staging = manifest.staging_dir(final)
    (staging / "model.bin").write_bytes(content)
    (staging / "sub").mkdir()
    (staging / "sub" / "vocab.txt").write_text("a\nb\n")
    manifest.commit(staging, final, {"answer": 42})
    return final


def test_commit_then_check_is_clean(empty_kit):
    final = make_part()
    assert manifest.check(final) == []
    assert manifest.read_record(final)["facts"] == {"answer": 42}
    assert not list(final.parent.glob(".tmp-*")), "staging folder left behind"


def test_check_catches_a_corrupted_file(empty_kit):
    final = make_part()
    (final / "model.bin").write_bytes(b"weighTs")  # same size, other bytes
    problems = manifest.check(final)
    assert len(problems) == 1 and "SHA-256" in problems[0]
    assert manifest.check(final, deep=False) == []  # the quick check only sees sizes


def test_check_catches_a_missing_and_a_truncated_file(empty_kit):
    final = make_part()
    (final / "sub" / "vocab.txt").unlink()
    (final / "model.bin").write_bytes(b"w")
    problems = " | ".join(manifest.check(final))
    assert "vocab.txt: missing" in problems and "size 1 bytes" in problems


def test_unfinished_part_is_not_built(empty_kit):
    assert "not built" in manifest.check(kit_root() / "nothing")[0]


def test_recommit_replaces_the_old_copy(empty_kit):
    make_part(content=b"old")
    final = make_part(content=b"newer")
    assert (final / "model.bin").read_bytes() == b"newer"
    assert manifest.check(final) == []
    assert not list(final.parent.glob(".old-*"))


def test_interrupted_build_leaves_nothing_that_looks_complete(empty_kit, monkeypatch):
    def crash(out, log):
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(kit_build, "BUILDERS", {"encoder": crash})
    with pytest.raises(KeyboardInterrupt):
        kit_build.build()
    assert manifest.read_record(part_dir("encoder")) is None
    assert not part_dir("encoder").exists()
    assert not list(part_dir("encoder").parent.glob(".tmp-*"))
    assert not (kit_root() / kit_build.MANIFEST).exists()


def test_second_build_skips_intact_parts(empty_kit, monkeypatch, capsys):
    calls = []

    def builder(out, log):
        calls.append(out)
        (out / "f.txt").write_text("x")
        return {}

    parts = {name: builder for name in kit_build.PART_DIRS}
    monkeypatch.setattr(kit_build, "BUILDERS", parts)
    kit_build.build()
    assert len(calls) == len(parts)
    kit_build.build()
    assert len(calls) == len(parts), "an intact part was rebuilt"
    assert capsys.readouterr().out.count("up to date") == len(parts)
    (part_dir("encoder") / "f.txt").write_text("y")  # damage one part
    assert any("--force encoder" in p for p in kit_build.verify())
    kit_build.build()
    assert len(calls) == len(parts) + 1
    assert kit_build.verify() == []


def test_force_rejects_unknown_parts(empty_kit):
    with pytest.raises(ValueError, match="known"):
        kit_build.build(force=["everything"])


def test_verify_and_info_on_a_missing_kit(empty_kit):
    assert kit_build.verify() and all("not built" in p for p in kit_build.verify())
    with pytest.raises(FileNotFoundError, match="make kit"):
        kit_build.info()
    assert kit_cli.main(["verify"]) == 1


def test_rebuilt_dataset_is_not_served_from_a_stale_cache(empty_kit, monkeypatch):
    from datasets import Dataset, load_dataset

    rows = {"text": ["first build"]}

    def builder(out, log):
        (out / "data").mkdir()
        Dataset.from_dict(rows).to_parquet(str(out / "data" / "train-00000-of-00001.parquet"))
        return {}

    monkeypatch.setattr(kit_build, "BUILDERS", {"rotten_tomatoes": builder})
    monkeypatch.setattr(kit_build, "write_manifest", dict)
    kit_build.build()
    path = str(part_dir("rotten_tomatoes"))
    assert load_dataset(path, split="train")["text"] == ["first build"]
    rows["text"] = ["second build"]
    kit_build.build(force=["rotten_tomatoes"])
    assert load_dataset(path, split="train")["text"] == ["second build"]


def test_prune_removes_only_older_kits(empty_kit):
    import json

    kit_root().mkdir(parents=True)
    old = kit_root().parent / "v0"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"recipe_version": "0", "parts": {}}))
    foreign = kit_root().parent / "v1"  # named like a kit, but holds no kit record
    foreign.mkdir()
    (foreign / "f").write_text("mine")
    assert kit_build.older_versions() == [old]
    assert kit_build.prune() == [], "prune deleted without --yes or a confirmation"
    assert old.is_dir()
    assert kit_build.prune(yes=True) == [old]
    assert kit_root().is_dir() and not old.exists() and (foreign / "f").read_text() == "mine"


# ---------------------------------------------------------------------------------------------
# Fault cases, permissions: a second user, a private kit home (on the small fake kit of test_kit_build.py)


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

"""The classroom cache: prefetch refuses cleanly without a Hub; archives are verified whole before unpacking."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from helpers.catalog import CATALOG
from instructor_tools.archive import MANIFEST, ArchiveError, extract_verified, pack
from instructor_tools.classroom import ARCHIVE_KIND, RECORD, hub_entries, pack_cache, unpack_cache

ROOT = Path(__file__).resolve().parents[1]


def fake_cache(root: Path) -> Path:
    """A small folder laid out like a prefetched Hugging Face home, with a relative link as the HF cache makes."""
    snap = root / "hub" / "models--org--name" / "snapshots" / "abc"
    blobs = root / "hub" / "models--org--name" / "blobs"
    snap.mkdir(parents=True)
    blobs.mkdir(parents=True)
    (blobs / "1234").write_bytes(b'{"model_type": "bert"}')
    (snap / "config.json").symlink_to("../../blobs/1234")
    (root / "modules").mkdir()
    (root / "modules" / "accuracy.py").write_text("# module\n")
    (root / "hub" / ".locks").mkdir()
    (root / "hub" / ".locks" / "x.lock").write_text("")
    (root / RECORD).write_text('{"items": [], "endpoint": "test"}\n')
    return root


def test_every_catalog_id_is_prefetched_once():
    ids = [entry.hub_id for entry in hub_entries()]
    assert sorted(ids) == sorted({entry.hub_id for entry in CATALOG}), "every id the lessons name, each once"
    assert "hf-internal-testing/librispeech_asr_dummy" in ids and "PolyAI/minds14" not in ids


def test_prefetch_without_a_hub_fails_clearly_and_writes_nothing(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-m", "instructor_tools.classroom", "prefetch", "--cache", str(tmp_path / "cache")],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot prefetch" in result.stderr and f"127.0.0.1:{port}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no cache, no staging folder


def test_pack_then_unpack_round_trip(tmp_path):
    cache = fake_cache(tmp_path / "cache")
    manifest = pack_cache(cache, tmp_path / "class.tar")
    assert not any(name.endswith(".lock") for name in manifest["files"])  # locks stay behind
    home = tmp_path / "learner"
    (home / "hub").mkdir(parents=True)
    (home / "hub" / "mine.txt").write_text("kept")  # the learner's own cache survives
    assert unpack_cache(tmp_path / "class.tar", home) == 3 + 1  # blob, link, module, record
    link = home / "hub" / "models--org--name" / "snapshots" / "abc" / "config.json"
    assert link.is_symlink() and link.read_text() == '{"model_type": "bert"}'
    assert (home / "hub" / "mine.txt").read_text() == "kept"
    assert not [p for p in home.rglob(".tmp-*")]


def test_a_truncated_archive_is_refused_whole(tmp_path):
    pack(fake_cache(tmp_path / "cache"), tmp_path / "class.tar", ARCHIVE_KIND)
    data = (tmp_path / "class.tar").read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2])
    home = tmp_path / "learner"
    with pytest.raises(ArchiveError, match="truncated or damaged|does not match"):
        unpack_cache(tmp_path / "cut.tar", home)
    assert not home.exists() or not any(home.rglob("*"))


def test_a_tampered_file_is_refused_whole(tmp_path):
    cache = fake_cache(tmp_path / "cache")
    pack(cache, tmp_path / "class.tar", ARCHIVE_KIND)
    # rewrite one member with other bytes of the same size, keeping the original manifest
    with tarfile.open(tmp_path / "class.tar") as src, tarfile.open(tmp_path / "bad.tar", "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("accuracy.py"):
                data = data.replace(b"module", b"MODULE")
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    home = tmp_path / "learner"
    with pytest.raises(ArchiveError, match="SHA-256"):
        unpack_cache(tmp_path / "bad.tar", home)
    assert not home.exists() or not any(home.rglob("*"))


@pytest.mark.parametrize("name, link", [("../evil.txt", None), ("/etc/evil.txt", None), ("hub/x", "../../../etc/passwd")])
def test_paths_outside_the_cache_are_refused(tmp_path, name, link):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        manifest = b'{"format": 1, "kind": "hf-cache", "facts": {}, "files": {}, "links": {}}'
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        member = tarfile.TarInfo(name)
        if link:
            member.type, member.linkname = tarfile.SYMTYPE, link
            tar.addfile(member)
        else:
            member.size = 4
            tar.addfile(member, io.BytesIO(b"evil"))
    with pytest.raises(ArchiveError, match="outside|leaves"):
        extract_verified(archive, tmp_path / "staging", ARCHIVE_KIND)
    assert not (tmp_path / "evil.txt").exists() and not list((tmp_path / "staging").iterdir())


def test_an_archive_of_another_kind_or_not_ours_is_refused(tmp_path):
    pack(fake_cache(tmp_path / "cache"), tmp_path / "kit.tar", "offline-kit")
    with pytest.raises(ArchiveError, match="expected 'hf-cache'"):
        unpack_cache(tmp_path / "kit.tar", tmp_path / "learner")
    with tarfile.open(tmp_path / "plain.tar", "w") as tar:
        tar.add(tmp_path / "cache" / RECORD, arcname=RECORD)
    with pytest.raises(ArchiveError, match="not a quicktour archive"):
        unpack_cache(tmp_path / "plain.tar", tmp_path / "learner")
    with pytest.raises(ArchiveError, match="no such file"):
        unpack_cache(tmp_path / "missing.tar", tmp_path / "learner")


def test_pack_needs_a_prefetched_cache(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="prefetch"):
        pack_cache(tmp_path / "empty", tmp_path / "x.tar")

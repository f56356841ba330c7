"""Hostile archives against instructor_tools.archive, through both commands that read one: ``instructor_tools.kit import`` and
``instructor_tools.classroom unpack``. Each archive is crafted here by hand; after each refusal nothing may exist outside
the target, the target must be as it was, and no staging folder may be left."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from instructor_tools.archive import MANIFEST, MANIFEST_CAP, ArchiveError, extract_verified, merge_into
from instructor_tools.classroom import ARCHIVE_KIND as CACHE_KIND
from instructor_tools.classroom import unpack_cache
from instructor_tools.kit.transfer import ARCHIVE_KIND as KIT_KIND

ROOT = Path(__file__).resolve().parents[1]


def entry(data: bytes) -> dict[str, object]:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def assert_refused_quickly(archive: Path, tmp_path: Path, match: str) -> None:
    """Refused within 2 s (nothing big was read or written first), with no staging folder left."""
    start = time.monotonic()
    with pytest.raises(ArchiveError, match=match):
        extract_verified(archive, tmp_path / "staging", CACHE_KIND)
    assert time.monotonic() - start < 2.0
    assert list((tmp_path / "staging").iterdir()) == []


def craft(path: Path, kind: str, files: dict[str, bytes], links: dict[str, str] | None = None,
          listed: dict[str, object] | None = None, listed_links: dict[str, str] | None = None,
          compress: bool = False, manifest_bytes: bytes | None = None) -> Path:
    """A tar file with our manifest first, then ``files`` and ``links`` as members, in that order. ``listed`` and
    ``listed_links`` (default: what is there) are what the manifest claims."""
    links = links or {}
    manifest = {"format": 1, "kind": kind, "facts": {"recipe_version": "8"},
                "files": listed if listed is not None else {name: entry(data) for name, data in files.items()},
                "links": listed_links if listed_links is not None else dict(links)}
    data = manifest_bytes if manifest_bytes is not None else json.dumps(manifest).encode()
    with tarfile.open(path, "w:gz" if compress else "w") as tar:
        add(tar, MANIFEST, data)
        for name, content in files.items():
            add(tar, name, content)
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def snapshot(folder: Path) -> dict[str, object]:
    """Every path under ``folder`` with its kind and content, to compare before and after."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = ("link", os.readlink(path)) if path.is_symlink() else (
            ("file", path.read_bytes()) if path.is_file() else ("dir", None))
    return found


@pytest.fixture
def place(tmp_path):
    """A learner's machine: a Hugging Face home with one cached file, and a private file outside it."""
    home = tmp_path / "hf-home"
    (home / "hub").mkdir(parents=True)
    (home / "hub" / "kept.txt").write_text("the learner's own file\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("untouched\n")
    return home, outside


def assert_unpack_refused(place: tuple[Path, Path], archive: Path, match: str) -> None:
    """``classroom unpack`` refuses ``archive`` with ``match``, and leaves the home as it was, nothing written
    outside it and no staging folder."""
    home, outside = place
    before = snapshot(home)
    with pytest.raises(ArchiveError, match=match):
        unpack_cache(archive, home)
    assert snapshot(home) == before, "the Hugging Face home changed"
    assert snapshot(outside) == {"secret.txt": ("file", b"untouched\n")}, "something was written outside"


def test_a_chain_of_links_cannot_carry_a_write_outside(place, tmp_path):
    outside = place[1]
    archive = craft(tmp_path / "chain.tar", CACHE_KIND, {"hub/a.txt": b"a"},
                    links={"l2": ".", "hub/imported.json": f"../l2/l2/../../{outside.name}/secret.txt"})
    assert_unpack_refused(place, archive, "leaves the folder|does not point at a file")


def test_a_link_may_only_point_at_a_file_of_the_same_archive(place, tmp_path):
    # a folder, a folder again, a path that is not there, another link (itself pointing at a listed file)
    for target in ("../hub/blobs", "blobs/../blobs", "x" * 200 + "/" + "y" * 200, "other-link"):
        links = {"hub/other-link": "other", "hub/snap": target}
        archive = craft(tmp_path / "to-folder.tar", CACHE_KIND, {"hub/blobs/1": b"1", "hub/other": b"o"}, links=links)
        assert_unpack_refused(place, archive, "leaves the folder|does not point at a file")


def test_links_to_long_folder_names_write_nothing_outside(place, tmp_path):
    # The shape that defeats tarfile's data filter on Python 3.11: links through long names, then a file
    # written through them.
    outside = place[1]
    long = "d" * 250
    links = {f"hub/{long}": ".", "hub/escape": f"{long}/{long}/{long}/../../../../../{outside.name}"}
    archive = craft(tmp_path / "long.tar", CACHE_KIND, {"hub/escape/new.txt": b"pwned"}, links=links)
    assert_unpack_refused(place, archive, "'hub/escape' is both a file or link and a folder")
    # and the links alone, without the file written through them: each leaves the folder or points at no file
    archive = craft(tmp_path / "long-links.tar", CACHE_KIND, {"hub/a": b"a"}, links=links)
    assert_unpack_refused(place, archive, "leaves the folder|does not point at a file")


def test_a_kit_archive_holds_no_links_at_all(tmp_path):
    archive = craft(tmp_path / "kit.tar", KIT_KIND, {"manifest.json": b"{}"}, links={"imported.json": "manifest.json"})
    with pytest.raises(ArchiveError, match="this kind has none"):
        extract_verified(archive, tmp_path / "kit-home", KIT_KIND, links=False)
    assert list((tmp_path / "kit-home").iterdir()) == []


def test_unpack_never_writes_through_a_link_already_in_the_cache(place, tmp_path):
    home, outside = place
    (home / "hub" / "planted").symlink_to(outside)  # left by an earlier archive, or by anyone
    archive = craft(tmp_path / "second.tar", CACHE_KIND, {"hub/planted/secret.txt": b"overwritten"})
    assert_unpack_refused(place, archive, "symbolic link in the cache")


def test_a_file_folder_clash_is_refused_before_anything_moves(place, tmp_path):
    (place[0] / "hub" / "models--x").write_text("a file where the archive has a folder\n")
    archive = craft(tmp_path / "clash.tar", CACHE_KIND, {"hub/aaa-first.txt": b"would move first",
                                                         "hub/models--x/config.json": b"{}"})
    assert_unpack_refused(place, archive, "models--x is a file in the cache and a folder in the archive")


def test_a_member_larger_than_its_listing_is_refused_before_it_is_written(tmp_path):
    # 1 MB of gzip expanding to 64 MB: the member's header disagrees with the manifest, so nothing is read.
    big = 64 * 1024 * 1024
    archive = tmp_path / "bomb.tar"
    manifest = json.dumps({"format": 1, "kind": CACHE_KIND, "facts": {},
                           "files": {"hub/zeros": {"size": 10, "sha256": "0" * 64}}, "links": {}}).encode()
    with gzip.open(archive, "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        add(tar, MANIFEST, manifest)
        add(tar, "hub/zeros", bytes(big))
    assert archive.stat().st_size < 1_000_000
    assert_refused_quickly(archive, tmp_path, "size differs from the manifest")


def test_a_manifest_over_its_cap_is_not_read(tmp_path):
    archive = craft(tmp_path / "fat.tar", CACHE_KIND, {}, manifest_bytes=b" " * (MANIFEST_CAP + 1))
    with pytest.raises(ArchiveError, match="manifest claims"):
        extract_verified(archive, tmp_path / "staging", CACHE_KIND)


def test_files_that_would_not_fit_on_the_disk_are_refused_up_front(tmp_path):
    archive = craft(tmp_path / "huge.tar", CACHE_KIND, {"hub/a": b"a"},
                    listed={"hub/a": {"size": 1 << 50, "sha256": "0" * 64}})
    with pytest.raises(ArchiveError, match="make room"):
        extract_verified(archive, tmp_path / "staging", CACHE_KIND)
    assert list((tmp_path / "staging").iterdir()) == []


@pytest.mark.parametrize("listed", [{"hub/a": {"size": "1", "sha256": "0" * 64}},
                                    {"hub/a": {"size": 1, "sha256": "not hex"}}, {"hub/a": 1}])
def test_a_malformed_manifest_entry_is_refused(tmp_path, listed):
    archive = craft(tmp_path / "bad.tar", CACHE_KIND, {"hub/a": b"a"}, listed=listed)
    with pytest.raises(ArchiveError, match="no valid size and SHA-256"):
        extract_verified(archive, tmp_path / "staging", CACHE_KIND)


def test_a_member_twice_is_refused(tmp_path):
    archive = tmp_path / "twice.tar"
    craft(archive, CACHE_KIND, {"hub/a": b"a"})
    with tarfile.open(archive, "a") as tar:
        add(tar, "hub/a", b"a")
    with pytest.raises(ArchiveError, match="appears twice"):
        extract_verified(archive, tmp_path / "staging", CACHE_KIND)


def test_import_waits_for_no_build(tmp_path, monkeypatch):
    from instructor_tools.kit.build import build_lock
    from instructor_tools.kit.transfer import import_kit

    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit-home"))
    archive = craft(tmp_path / "kit.tar", KIT_KIND, {"manifest.json": b"{}"})
    with build_lock(), pytest.raises(BlockingIOError, match="another build"):
        import_kit(archive)


@pytest.mark.parametrize("command", [
    ["instructor_tools.classroom", "unpack", "{archive}", "--hf-home", "{file}"],
    ["instructor_tools.kit", "export", "{folder}"],
    ["instructor_tools.kit", "build", "--force", "no-such-part"],
])
def test_bad_input_gets_one_line_not_a_traceback(tmp_path, command):
    archive = craft(tmp_path / "ok.tar", CACHE_KIND, {"hub/a": b"a"})
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "folder").mkdir()
    args = [part.format(archive=archive, file=tmp_path / "a-file", folder=tmp_path / "folder") for part in command]
    env = {**os.environ, "QUICKTOUR_KIT_HOME": str(tmp_path / "kit-home")}
    run = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and run.stderr.startswith("error: "), run.stderr
    assert (tmp_path / "a-file").read_text() == "x"


def test_merge_replaces_a_link_in_the_cache_instead_of_following_it(tmp_path):
    source, destination, outside = tmp_path / "source", tmp_path / "home", tmp_path / "outside.txt"
    outside.write_text("untouched\n")
    (source / "hub").mkdir(parents=True)
    (source / "hub" / "config.json").write_text("{}")
    (destination / "hub").mkdir(parents=True)
    (destination / "hub" / "config.json").symlink_to(outside)
    assert merge_into(source, destination) == 1
    assert not (destination / "hub" / "config.json").is_symlink()
    assert outside.read_text() == "untouched\n"


@pytest.mark.parametrize("where", ["first", "after the manifest"])
def test_a_long_name_header_that_expands_past_the_manifest_is_refused_unread(tmp_path, where):
    # tarfile reads a GNU long name whole into memory before any member check could see it: 20 MB of name here,
    # 20 kB of gzip.
    archive = tmp_path / "long-name.tar.gz"
    manifest = json.dumps({"format": 1, "kind": CACHE_KIND, "facts": {}, "files": {"hub/a": entry(b"a")},
                           "links": {}}).encode()
    with gzip.open(archive, "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w",
                                                                      format=tarfile.GNU_FORMAT) as tar:
        if where != "first":
            add(tar, MANIFEST, manifest)
        add(tar, "hub/" + "n" * 20_000_000, b"a")
        if where == "first":
            add(tar, MANIFEST, manifest)
    assert archive.stat().st_size < 200_000
    assert_refused_quickly(archive, tmp_path, "expands past")


def test_a_compressed_archive_of_ours_still_unpacks(tmp_path):
    files = {"hub/blobs/1": b"x" * 5000, "modules/m.py": b"# m\n"}
    archive = craft(tmp_path / "ok.tar.gz", CACHE_KIND, files, links={"hub/snap/config.json": "../blobs/1"},
                    compress=True)
    staging, manifest = extract_verified(archive, tmp_path / "staging", CACHE_KIND)
    assert (staging / "hub" / "snap" / "config.json").read_bytes() == files["hub/blobs/1"]
    assert (staging / "hub" / "snap" / "config.json").is_symlink()


@pytest.mark.parametrize("kind", ["hard link out", "fifo", "device", "foreign file", "absolute", "dot-dot"])
def test_what_was_refused_before_stays_refused(place, tmp_path, kind):
    outside = place[1]
    archive = craft(tmp_path / "base.tar", CACHE_KIND, {"hub/a": b"a"})
    with tarfile.open(archive, "a") as tar:
        if kind in ("foreign file", "absolute", "dot-dot"):
            name = {"foreign file": "hub/extra", "absolute": str(outside / "new"), "dot-dot": "../outside/new"}[kind]
            add(tar, name, b"pwned")
        else:
            info = tarfile.TarInfo("hub/special")
            info.type = {"hard link out": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "device": tarfile.CHRTYPE}[kind]
            info.linkname = str(outside / "secret.txt") if kind == "hard link out" else ""
            tar.addfile(info)
    assert_unpack_refused(place, archive, "refused")


def test_a_truncated_member_or_a_flipped_byte_is_refused(place, tmp_path):
    data = bytes(range(256)) * 64
    archive = craft(tmp_path / "whole.tar", CACHE_KIND, {"hub/blob": data})
    raw = archive.read_bytes()
    at = raw.index(data[:512])
    (tmp_path / "cut.tar").write_bytes(raw[: at + 1000])
    assert_unpack_refused(place, tmp_path / "cut.tar", "truncated or damaged")
    (tmp_path / "flipped.tar").write_bytes(raw[:at + 77] + bytes([raw[at + 77] ^ 1]) + raw[at + 78:])
    assert_unpack_refused(place, tmp_path / "flipped.tar", "SHA-256 differs")

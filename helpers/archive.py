"""One verified archive format for carrying caches between machines (``helpers.classroom``).

An instructor packs a folder (the classroom's prefetched Hugging Face cache) into one tar file; each
learner's machine unpacks it. The archive's first member, ``quicktour-archive.json``, lists every
file with its size and SHA-256 and every symbolic link with its target. ``extract_verified``
unpacks into a staging folder and checks all of it before anything is put in place, so a truncated,
tampered or hostile archive is refused whole, with nothing half-installed:

- members must be regular files, folders or links, with relative paths that stay inside the folder;
- links must point inside the folder;
- every file must be listed, with the listed size and SHA-256, and every listed file must be there.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from helpers.kit.manifest import sha256

MANIFEST = "quicktour-archive.json"
FORMAT = 1


class ArchiveError(ValueError):
    """The archive is missing, truncated, tampered with, or not one of ours: nothing was installed."""


def _walk(root: Path, skip: Callable[[str], bool]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    files: dict[str, dict[str, Any]] = {}
    links: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if skip(rel):
            continue
        if path.is_symlink():
            target = os.readlink(path)
            if os.path.isabs(target) or not _inside(PurePosixPath(rel).parent / target):
                raise ArchiveError(f"{path}: link to {target} leaves the folder; refusing to pack it")
            links[rel] = target
        elif path.is_file():
            files[rel] = {"size": path.stat().st_size, "sha256": sha256(path)}
    return files, links


def _inside(rel: PurePosixPath) -> bool:
    """Whether a relative path stays inside its root once '..' parts are applied."""
    depth = 0
    for part in rel.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in (".", ""):
            depth += 1
    return True


def pack(root: Path, output: Path, kind: str, facts: dict[str, Any] | None = None,
         skip: Callable[[str], bool] = lambda rel: False) -> dict[str, Any]:
    """Write ``root`` into the tar file ``output`` (atomically), with its manifest; returns the manifest.

    ``kind`` names what the archive holds (checked again by ``extract_verified``); ``skip(rel_path)``
    leaves files out (locks, tokens).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"nothing to pack: {root} is not a folder")
    files, links = _walk(root, skip)
    if not files:
        raise ArchiveError(f"nothing to pack: {root} holds no files")
    manifest = {"format": FORMAT, "kind": kind, "facts": facts or {}, "files": files, "links": links}
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(fd)
    try:
        with tarfile.open(tmp_name, "w") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
            for rel in sorted(set(files) | set(links)):
                tar.add(root / rel, arcname=rel, recursive=False)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return manifest


def extract_verified(archive: Path, staging_parent: Path, kind: str) -> tuple[Path, dict[str, Any]]:
    """Unpack ``archive`` into a new folder under ``staging_parent`` and verify all of it.

    Returns (folder, manifest). On any problem the folder is removed and ArchiveError says what was
    wrong; nothing outside the folder is ever written.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such file")
    staging_parent = Path(staging_parent)
    staging_parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-unpack-", dir=staging_parent))
    try:
        manifest = _extract(archive, staging, kind)
        _verify(staging, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, manifest


def _extract(archive: Path, staging: Path, kind: str) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()  # reads to the end: a truncated file fails here
            if not members or members[0].name != MANIFEST:
                raise ArchiveError(f"{archive}: not a quicktour archive (no {MANIFEST} first)")
            handle = tar.extractfile(members[0])
            manifest = json.loads(handle.read()) if handle else None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise ArchiveError(f"{archive}: unreadable manifest")
            if manifest.get("kind") != kind:
                raise ArchiveError(f"{archive}: holds {manifest.get('kind')!r}, expected {kind!r}")
            for member in members[1:]:
                _check_member(member, archive)
            tar.extractall(staging, members=members[1:], filter="data")
    except (tarfile.TarError, EOFError, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{archive}: truncated or damaged ({exc}); nothing was installed") from exc
    return manifest


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    path = PurePosixPath(member.name)
    if path.is_absolute() or not _inside(path) or member.name == MANIFEST:
        raise ArchiveError(f"{archive}: member {member.name!r} points outside the folder; refused")
    if member.issym():
        if os.path.isabs(member.linkname) or not _inside(path.parent / member.linkname):
            raise ArchiveError(f"{archive}: link {member.name!r} -> {member.linkname!r} leaves the folder; refused")
    elif not (member.isfile() or member.isdir()):
        raise ArchiveError(f"{archive}: member {member.name!r} is not a file, folder or link; refused")


def _verify(staging: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    links = manifest.get("links", {})
    if not isinstance(files, dict) or not isinstance(links, dict):
        raise ArchiveError("unreadable manifest")
    found_files, found_links = _walk(staging, lambda rel: False)
    extra = (set(found_files) - set(files)) | (set(found_links) - set(links))
    missing = (set(files) - set(found_files)) | (set(links) - set(found_links))
    if extra or missing:
        raise ArchiveError(
            f"archive does not match its manifest: {len(missing)} missing, {len(extra)} unlisted "
            f"(for example {sorted(missing | extra)[:3]}); nothing was installed"
        )
    for rel, meta in files.items():
        if found_files[rel] != {"size": meta.get("size"), "sha256": meta.get("sha256")}:
            raise ArchiveError(f"{rel}: size or SHA-256 differs from the manifest (tampered or damaged); nothing was installed")
    for rel, target in links.items():
        if found_links[rel] != target:
            raise ArchiveError(f"{rel}: link target differs from the manifest; nothing was installed")


def merge_into(source: Path, destination: Path) -> int:
    """Move the verified contents of ``source`` into ``destination`` (created if needed); returns files moved.

    Existing files with the same path are replaced (verified content wins); ``source`` is removed.
    """
    destination.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        target = destination / rel
        if path.is_dir() and not path.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        if path.is_symlink():
            os.symlink(os.readlink(path), target)
        else:
            os.replace(path, target)
        count += 1
    shutil.rmtree(source, ignore_errors=True)
    return count

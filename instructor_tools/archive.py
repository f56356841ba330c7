"""One verified archive format for carrying caches between machines (``instructor_tools.classroom``).

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

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from instructor_tools.kit.manifest import sha256

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
    if output.is_dir():
        raise ArchiveError(f"{output} is a folder: name the archive file to write, e.g. {output / (kind + '.tar')}")
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


#: The manifest is read whole into memory: it is refused above this size (a classroom cache lists a few hundred files
#: in about 100 kB).
MANIFEST_CAP = 8 * 1024 * 1024
#: Free space to leave on the disk beyond what the manifest says the files take.
DISK_MARGIN = 64 * 1024 * 1024
_HEX = set("0123456789abcdef")


def extract_verified(archive: Path, staging_parent: Path, kind: str, links: bool = True) -> tuple[Path, dict[str, Any]]:
    """Unpack ``archive`` into a new folder under ``staging_parent``, verifying every member as it is written.

    Returns (folder, manifest). On any problem the folder is removed and ArchiveError says, in one line, what was
    wrong; nothing outside the folder is ever written. ``links=False`` refuses any symbolic link (the kit has none).

    The project's own code writes each member, not tarfile's extraction (whose filter resolves links with
    ``os.path.realpath``, which long link chains defeat): folders are created and entered one component at a
    time with ``O_NOFOLLOW``, files are created with ``O_EXCL | O_NOFOLLOW`` and hashed while written, and
    nothing is read past the size the manifest lists. Symbolic links are allowed only in the shape the Hugging
    Face cache uses (``snapshots/<rev>/<file>`` -> ``../../blobs/<hash>``): relative, pointing at a regular file
    that the same archive lists, never at a folder or another link; they are made last, so nothing is ever written
    through one. Before anything is written, the manifest (at most ``MANIFEST_CAP``) is checked whole and the
    files it lists must fit on the disk with ``DISK_MARGIN`` to spare.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such file")
    staging_parent = Path(staging_parent)
    if staging_parent.exists() and not staging_parent.is_dir():
        raise ArchiveError(f"{staging_parent} is a file, not a folder: name a folder to install into")
    staging_parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-unpack-", dir=staging_parent))
    try:
        manifest = _extract(archive, staging, kind, links)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, manifest


def _read_manifest(tar: tarfile.TarFile, archive: Path, kind: str) -> dict[str, Any]:
    """The first member, the manifest, checked whole (the tar's iteration yields it again: skip it there)."""
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise ArchiveError(f"{archive}: not a quicktour archive (no {MANIFEST} first)")
    if first.size > MANIFEST_CAP:
        raise ArchiveError(f"{archive}: its manifest claims {first.size:,} bytes, over the {MANIFEST_CAP:,} allowed")
    handle = tar.extractfile(first)
    try:
        manifest = json.loads(handle.read(MANIFEST_CAP + 1)) if handle else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{archive}: unreadable manifest")
    if manifest.get("kind") != kind:
        raise ArchiveError(f"{archive}: holds {manifest.get('kind')!r}, expected {kind!r}")
    files, found_links = manifest.get("files"), manifest.get("links", {})
    if not isinstance(files, dict) or not isinstance(found_links, dict):
        raise ArchiveError(f"{archive}: unreadable manifest (files and links must be tables)")
    for rel, meta in files.items():
        sha = meta.get("sha256") if isinstance(meta, dict) else None
        size = meta.get("size") if isinstance(meta, dict) else None
        if (not isinstance(size, int) or isinstance(size, bool) or size < 0 or not isinstance(sha, str)
                or len(sha) != 64 or not set(sha) <= _HEX):
            raise ArchiveError(f"{archive}: the manifest's entry for {rel!r} has no valid size and SHA-256")
    for rel, target in found_links.items():
        if not isinstance(target, str):
            raise ArchiveError(f"{archive}: the manifest's link {rel!r} has no target")
    return manifest


def _relative(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name in ("", ".", MANIFEST):  # no '..' at all, not even inside
        raise ArchiveError(f"{archive}: member {name!r} points outside the folder; refused")
    return PurePosixPath(*[part for part in path.parts if part != "."])


def _check_layout(manifest: dict[str, Any], archive: Path, links: bool) -> None:
    """Refuse, before anything is written, links that leave the folder or point anywhere but at a listed file,
    and a name that is a link or a file in one place and a folder in another."""
    files: dict[str, Any] = manifest["files"]
    link_targets: dict[str, str] = manifest.get("links", {})
    if link_targets and not links:
        raise ArchiveError(f"{archive}: holds symbolic links ({sorted(link_targets)[0]!r}, ...); this kind has none")
    leaves = {str(_relative(rel, archive)) for rel in [*files, *link_targets]}
    folders = {str(parent) for rel in leaves for parent in PurePosixPath(rel).parents if str(parent) != "."}
    clash = leaves & folders
    if clash:
        raise ArchiveError(f"{archive}: {sorted(clash)[0]!r} is both a file or link and a folder; refused")
    for rel, target in link_targets.items():
        where = PurePosixPath(rel).parent / target
        if os.path.isabs(target) or not _inside(where):
            raise ArchiveError(f"{archive}: link {rel!r} -> {target!r} leaves the folder; refused")
        resolved = os.path.normpath(where.as_posix())
        if resolved not in files:
            raise ArchiveError(f"{archive}: link {rel!r} -> {target!r} does not point at a file the archive lists "
                               "(only links to its own files are allowed); refused")


def _open_folder(root_fd: int, parts: tuple[str, ...], archive: Path) -> int:
    """A descriptor of the folder ``parts`` under ``root_fd``, made as needed, never through a link."""
    fd = os.dup(root_fd)
    for part in parts:
        try:
            try:
                os.mkdir(part, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            os.close(fd)
            raise ArchiveError(f"{archive}: cannot make the folder {'/'.join(parts)!r} ({exc.strerror}); refused") from None
        os.close(fd)
        fd = inner
    return fd


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, rel: PurePosixPath, meta: dict[str, Any],
                  root_fd: int, archive: Path) -> None:
    """Write one listed file, checking its size and SHA-256 as it goes."""
    if member.size != meta["size"]:
        raise ArchiveError(f"{rel}: size differs from the manifest ({member.size:,} against {meta['size']:,} bytes); "
                           "tampered or damaged, nothing was installed")
    source = tar.extractfile(member)
    folder = _open_folder(root_fd, rel.parts[:-1], archive)
    try:
        try:
            out = os.open(rel.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
        except FileExistsError:
            raise ArchiveError(f"{archive}: {str(rel)!r} appears twice; refused") from None
        digest, written = hashlib.sha256(), 0
        with os.fdopen(out, "wb") as sink:
            while source is not None and written < member.size:
                chunk = source.read(min(1 << 20, member.size - written))
                if not chunk:
                    break
                digest.update(chunk)
                sink.write(chunk)
                written += len(chunk)
    finally:
        os.close(folder)
    if written != meta["size"] or digest.hexdigest() != meta["sha256"]:
        raise ArchiveError(f"{rel}: size or SHA-256 differs from the manifest (tampered or damaged); nothing was installed")


class _Bounded(io.RawIOBase):
    """A read-only view of the archive's (decompressed) stream that refuses to go past ``limit`` bytes: tarfile
    reads some headers whole (long names, pax records) before any check of ours could see them, and a small
    compressed file can expand to gigabytes."""

    def __init__(self, raw: Any, limit: int, archive: Path) -> None:
        super().__init__()
        self.raw, self.limit, self.archive = raw, limit, archive

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.raw.tell()

    def _over(self) -> ArchiveError:
        return ArchiveError(f"{self.archive}: expands past the {self.limit:,} bytes its manifest accounts for; refused")

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self.raw.tell() + offset}.get(whence)
        if target is None or target > self.limit:
            raise self._over()
        return self.raw.seek(target)

    def readinto(self, buffer: Any) -> int:
        room = self.limit - self.raw.tell()
        if room <= 0 and len(buffer):
            raise self._over()
        data = self.raw.read(min(len(buffer), room))
        buffer[: len(data)] = data
        return len(data)


def _decompressed(archive: Path) -> Any:
    """The archive's tar stream: read through gzip, bzip2 or xz when its first bytes say so."""
    with open(archive, "rb") as handle:
        magic = handle.read(6)
    for prefix, opener in ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open)):
        if magic.startswith(prefix):
            return opener(archive, "rb")
    return open(archive, "rb")  # noqa: SIM115 (closed by the caller)


#: Bytes of tar headers allowed for each file, link and folder, beyond the data the manifest lists (a header is
#: 512 bytes; a long name or link target adds a few more blocks), and once for the whole archive.
HEADER_ALLOWANCE = 4096
SLACK = 1 << 20


def _extract(archive: Path, staging: Path, kind: str, links: bool) -> dict[str, Any]:
    try:
        with _decompressed(archive) as raw:
            bounded = _Bounded(raw, MANIFEST_CAP + SLACK, archive)
            with tarfile.open(fileobj=bounded, mode="r:") as tar:
                return _extract_members(tar, bounded, archive, staging, kind, links)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise ArchiveError(f"{archive}: truncated or damaged ({exc}); nothing was installed") from exc


def _extract_members(tar: tarfile.TarFile, bounded: _Bounded, archive: Path, staging: Path, kind: str,
                     links: bool) -> dict[str, Any]:
    manifest = _read_manifest(tar, archive, kind)
    files: dict[str, Any] = manifest["files"]
    link_targets: dict[str, str] = manifest.get("links", {})
    _check_layout(manifest, archive, links)
    total = sum(meta["size"] for meta in files.values())
    entries = {PurePosixPath(rel) for rel in [*files, *link_targets]}
    entries |= {parent for rel in entries for parent in rel.parents}
    bounded.limit = (bounded.tell() + sum(-(-meta["size"] // 512) * 512 for meta in files.values())
                     + HEADER_ALLOWANCE * len(entries) + SLACK)
    free = shutil.disk_usage(staging).free
    if total + DISK_MARGIN > free:
        raise ArchiveError(f"{archive}: its files take {total / 1e6:,.1f} MB and the disk has "
                           f"{free / 1e6:,.1f} MB free; make room, then try again")
    written: set[str] = set()
    root_fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for member in tar:
            if member.offset == 0:
                continue  # the manifest, read above
            rel = _relative(member.name, archive)
            key = str(rel)
            if member.isdir():
                os.close(_open_folder(root_fd, rel.parts, archive))
            elif member.issym():
                if key not in link_targets or member.linkname != link_targets[key]:
                    raise ArchiveError(f"{archive}: link {member.name!r} -> {member.linkname!r} is not the "
                                       "manifest's; refused")
                written.add(key)  # made below, after every file
            elif member.isreg():
                if key not in files:
                    raise ArchiveError(f"{archive}: {member.name!r} is not in the manifest; refused")
                _write_member(tar, member, rel, files[key], root_fd, archive)
                written.add(key)
            else:
                raise ArchiveError(f"{archive}: member {member.name!r} is not a file, folder or link; refused")
        missing = sorted((set(files) | set(link_targets)) - written)
        if missing:
            raise ArchiveError(f"archive does not match its manifest: {len(missing)} missing (for example "
                               f"{missing[:3]}); nothing was installed")
        for key, target in sorted(link_targets.items()):
            rel = PurePosixPath(key)
            folder = _open_folder(root_fd, rel.parts[:-1], archive)
            try:
                os.symlink(target, rel.name, dir_fd=folder)
            finally:
                os.close(folder)
    finally:
        os.close(root_fd)
    return manifest


def merge_into(source: Path, destination: Path) -> int:
    """Move the verified contents of ``source`` into ``destination`` (created if needed); returns files moved.

    Everything is checked before anything moves: a path that is a folder on one side and a file or link on the
    other, or a folder of ``destination`` reached through a symbolic link, is refused with one line naming it,
    and ``destination`` is left as it was (``source`` removed). Then existing files and links of the same path
    are replaced (verified content wins); a link already in ``destination`` is replaced, never followed.
    """
    source, destination = Path(source), Path(destination)
    try:
        if destination.exists() and not destination.is_dir():
            raise ArchiveError(f"{destination} is a file, not a folder: name a folder to install into")
        entries = sorted(source.rglob("*"))
        for path in entries:
            rel = path.relative_to(source)
            target = destination / rel
            folder_here = path.is_dir() and not path.is_symlink()
            # the folders on the way, outermost first, and this one when the archive makes it a folder
            for folder in list(reversed(rel.parents))[1:] + ([rel] if folder_here else []):
                if (destination / folder).is_symlink():
                    raise ArchiveError(f"{destination / folder} is a symbolic link in the cache; the archive is not "
                                       "written through it: remove it, or unpack into another Hugging Face home")
            if target.is_symlink() or target.exists():
                folder_there = target.is_dir() and not target.is_symlink()
                if folder_here != folder_there:
                    raise ArchiveError(f"{target} is a {'folder' if folder_there else 'file'} in the cache and a "
                                       f"{'folder' if folder_here else 'file'} in the archive; nothing was installed")
        destination.mkdir(parents=True, exist_ok=True)
        count = 0
        for path in entries:
            target = destination / path.relative_to(source)
            if path.is_dir() and not path.is_symlink():
                target.mkdir(exist_ok=True)
                continue
            if path.is_symlink():
                if target.is_symlink() or target.exists():
                    target.unlink()
                os.symlink(os.readlink(path), target)
            else:
                os.replace(path, target)  # replaces a file or a link itself, never what a link points at
            count += 1
    finally:
        shutil.rmtree(source, ignore_errors=True)
    return count

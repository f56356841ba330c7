"""Atomic writes, integrity records and file modes for the offline kit (used by ``helpers.kit``).

Every component is built in a temporary sibling folder. Its record, ``component.json``
(file sizes and SHA-256 digests plus facts such as held-out accuracy), is written last,
and only then is the folder renamed into place. An interrupted build therefore leaves
either nothing or a ``.tmp-`` folder, never a component that looks complete.

A record that is empty, truncated or not shaped like one (``{}``, missing keys, wrong types)
counts as damaged: ``check`` reports it and the build rebuilds the part.

File modes: the kit is readable by exactly the users who can enter the kit home. Under the
usual umask (022) the kit home is created 0755, and kit files get 0644 and folders 0755, whatever
mode a library wrote them with (safetensors files come out 0600, ``mkdtemp`` folders 0700). A kit
home that is itself private (0700, e.g. under umask 077) keeps the kit private (0600/0700). To
share a kit, ``chmod 755`` its home and run ``python -m helpers.kit build``, which re-applies the modes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

RECORD = "component.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class RecordError(ValueError):
    """A ``component.json`` that exists but is not a valid record (empty, truncated, wrong shape)."""


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and digest of every file below ``folder`` (but the record itself), by relative path."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != RECORD:
            files[rel] = {"size": path.stat().st_size, "sha256": sha256(path)}
    return files


# ---------------------------------------------------------------------------------------------
# File modes


def share_modes(home: Path) -> tuple[int, int]:
    """(file mode, folder mode) for kit files below ``home``, from the home's own permissions.

    Whoever may enter the home (its group/other execute bits) may read the kit: a 0755 home gives
    (0o644, 0o755), a 0750 home (0o640, 0o750), a 0700 home (0o600, 0o700). Write access is
    never given to anyone but the owner. A home that does not exist yet is judged by the umask.
    """
    try:
        bits = home.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        bits = 0o777 & ~umask
    enter = bits & 0o011  # group/other may enter the home
    readers = (enter << 2) & 0o044  # ... so they may read the files
    return 0o600 | readers, 0o700 | readers | enter


def apply_modes(folder: Path, modes: tuple[int, int]) -> None:
    """Set ``modes`` (file, folder) on ``folder`` and everything below it; a symbolic link is neither changed nor
    followed (a ``folder`` that is one is left alone whole: its target may lie outside the kit)."""
    file_mode, dir_mode = modes
    if folder.is_symlink():
        return
    set_mode(folder, dir_mode)
    for root, dirs, files in os.walk(folder):  # os.walk does not descend into linked folders
        for names, mode in ((dirs, dir_mode), (files, file_mode)):
            for name in names:
                set_mode(Path(root) / name, mode)


LINKED = "a symbolic link, which the kit never follows (it holds none)"


def _link_on_the_way(path: Path) -> Path | None:
    """The first of ``path`` and its parents inside the kit home that is a symbolic link, else None."""
    from helpers.kit.paths import kit_home

    home = kit_home()
    for candidate in [path, *path.parents]:
        if candidate == home or home not in candidate.parents:
            return None
        if candidate.is_symlink():
            return candidate
    return None


def set_mode(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` when it differs; never through a symbolic link (Linux cannot chmod a link
    itself, so a link is left as it is); quietly leaves alone what this user does not own."""
    try:
        if path.is_symlink():
            return
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            os.chmod(path, mode)
    except PermissionError:
        pass  # not ours (a shared kit home): verify reports what others cannot read


def mode_problems(folder: Path, record: dict[str, Any], modes: tuple[int, int]) -> list[str]:
    """Files and folders of a built part that lack the read access ``modes`` asks for."""
    file_mode, dir_mode = modes
    problems = []
    for path, wanted in [(folder, dir_mode), (folder / RECORD, file_mode)] + [
        (folder / rel, file_mode) for rel in record["files"]
    ]:
        try:
            have = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue  # missing files are reported by check()
        if have & wanted != wanted:
            problems.append(
                f"{path}: mode {have:04o}, not readable by the users who can open the kit home ({wanted:04o})"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Staging and commit


def staging_dir(final: Path) -> Path:
    """A fresh temporary folder beside ``final`` (same file system, so the rename is atomic)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))


def commit(staging: Path, final: Path, facts: dict[str, Any], modes: tuple[int, int] | None = None) -> dict[str, Any]:
    """Write the record into ``staging`` and move it to ``final``, replacing any old copy.

    ``modes`` (file, folder) are applied to every file first (default: from ``final``'s kit
    home, see ``share_modes``), so a kit shared through its home is readable by every user of it.
    """
    if modes is None:
        from helpers.kit.paths import kit_home

        modes = share_modes(kit_home())
    record = {"facts": facts, "files": describe_files(staging)}
    write_json_atomic(staging / RECORD, record)
    apply_modes(staging, modes)  # mkdtemp makes the folder 0700, libraries may write 0600 files
    swap_into_place(staging, final)
    return record


def swap_into_place(staging: Path, final: Path) -> None:
    """Rename ``staging`` to ``final``; an existing ``final`` is moved aside first and removed after.

    A kill between the two renames leaves ``.old-<name>-<pid>``, which ``build`` puts back.
    """
    old = None
    if final.exists() or final.is_symlink():  # a link is moved aside itself, never what it points at
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        if old.is_symlink():
            old.unlink()
        else:
            shutil.rmtree(old, ignore_errors=True)


def write_json_atomic(path: Path, data: Any, mode: int | None = None) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Records


def record_shape_problem(record: Any) -> str | None:
    """Why ``record`` is not a valid component record, or None when it is."""
    if not isinstance(record, dict):
        return f"holds {type(record).__name__}, not a JSON object"
    missing = [key for key in ("facts", "files") if key not in record]
    if missing:
        return f"no {' and no '.join(repr(k) for k in missing)} key"
    if not isinstance(record["facts"], dict):
        return "'facts' is not a JSON object"
    files = record["files"]
    if not isinstance(files, dict) or not files:
        return "'files' is empty or not a JSON object"
    for rel, meta in files.items():
        parts = Path(rel).parts
        if not rel or Path(rel).is_absolute() or ".." in parts or rel == RECORD:
            return f"file entry {rel[:80]!r} is not a path inside the part"
        if not isinstance(meta, dict):
            return f"file entry {rel!r} is not a JSON object"
        size = meta.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return f"file entry {rel!r} has no valid 'size'"
        digest = meta.get("sha256")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            return f"file entry {rel!r} has no valid 'sha256'"
    return None


def load_record(folder: Path) -> dict[str, Any] | None:
    """The component's record; None when the component is absent or unfinished.

    Raises RecordError when ``component.json`` exists but is damaged, and PermissionError when
    it cannot be read.
    """
    path = folder / RECORD
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise RecordError(f"{path} is a folder") from None
    except UnicodeDecodeError:
        raise RecordError(f"{path} is not text") from None
    try:
        record = parse_json(text)
    except ValueError as exc:
        raise RecordError(f"{path} is {exc}") from None
    problem = record_shape_problem(record)
    if problem:
        raise RecordError(f"{path} is damaged: {problem}")
    return record


def parse_json(text: str) -> Any:
    """``json.loads``, with a ValueError in plain words for an empty or truncated file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        what = "empty" if not text.strip() else f"not valid JSON ({exc.msg}: line {exc.lineno}; truncated?)"
        raise ValueError(what) from None


def read_record(folder: Path) -> dict[str, Any] | None:
    """The component's record, or None when the component is absent, unfinished, damaged or unreadable."""
    try:
        return load_record(folder)
    except (RecordError, PermissionError):
        return None


def check(folder: Path, deep: bool = True) -> list[str]:
    """Problems with a built component: missing or damaged record, missing, unreadable, resized
    or (deep) altered files. ``deep=False`` only compares sizes (no hashing). The kit holds no symbolic links:
    a component folder, or a file in it, that is a link is a problem (a rebuild replaces the link itself)."""
    linked = _link_on_the_way(folder)
    if linked is not None:
        return [f"{linked}: {LINKED}"]
    try:
        record = load_record(folder)
    except RecordError as exc:
        return [str(exc)]
    except PermissionError:
        return [f"{folder / RECORD}: not readable by you (permission denied)"]
    if record is None:
        return [f"{folder}: not built (no {RECORD})"]
    problems = []
    for rel, meta in record["files"].items():
        path = folder / rel
        try:
            size = path.stat().st_size
        except PermissionError:
            problems.append(f"{path}: not readable by you (permission denied)")
            continue
        except (FileNotFoundError, NotADirectoryError):
            problems.append(f"{path}: missing")
            continue
        if _link_on_the_way(path) is not None:  # the file itself, or a folder between it and the part's
            problems.append(f"{path}: {LINKED}")
        elif not path.is_file():
            problems.append(f"{path}: missing (not a file)")
        elif size != meta["size"]:
            problems.append(f"{path}: size {size} bytes, expected {meta['size']}")
        elif not os.access(path, os.R_OK):
            problems.append(f"{path}: not readable by you (permission denied)")
        elif deep and sha256(path) != meta["sha256"]:
            problems.append(f"{path}: contents changed (SHA-256 differs)")
    return problems

"""Atomic writes, integrity records and file modes for the offline kit (used by ``instructor_tools.kit``).

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
share a kit, ``chmod 755`` its home and run ``python -m instructor_tools.kit build``, which re-applies the modes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from helpers.offline_kit import (  # noqa: F401 (the reading side, used through this module too)
    LINKED,
    RECORD,
    RecordError,
    check,
    kit_home,
    link_on_the_way,
    load_record,
    parse_json,
    read_record,
    record_shape_problem,
    sha256,
)

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

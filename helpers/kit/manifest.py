"""Atomic writes and integrity records for the offline kit (used by ``helpers.kit``).

Every component is built in a temporary sibling folder. Its record, ``component.json``
(file sizes and SHA-256 digests plus facts such as held-out accuracy), is written last,
and only then is the folder renamed into place. An interrupted build therefore leaves
either nothing or a ``.tmp-`` folder, never a component that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

RECORD = "component.json"


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


def staging_dir(final: Path) -> Path:
    """A fresh temporary folder beside ``final`` (same file system, so the rename is atomic)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))


def commit(staging: Path, final: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """Write the record into ``staging`` and move it to ``final``, replacing any old copy."""
    staging.chmod(0o755)  # mkdtemp makes it private; a classroom may share one kit
    record = {"facts": facts, "files": describe_files(staging)}
    write_json_atomic(staging / RECORD, record)
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return record


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_record(folder: Path) -> dict[str, Any] | None:
    """The component's record, or None when the component is absent or unfinished."""
    try:
        return json.loads((folder / RECORD).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def check(folder: Path, deep: bool = True) -> list[str]:
    """Problems with a built component: missing record, missing, resized or (deep) altered files."""
    record = read_record(folder)
    if record is None:
        return [f"{folder}: not built (no {RECORD})"]
    problems = []
    for rel, meta in record["files"].items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.stat().st_size != meta["size"]:
            problems.append(f"{path}: size {path.stat().st_size} bytes, expected {meta['size']}")
        elif deep and sha256(path) != meta["sha256"]:
            problems.append(f"{path}: contents changed (SHA-256 differs)")
    return problems

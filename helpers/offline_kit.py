"""Where the offline kit lives, and whether one of its parts is intact (read only).

The kit is a folder of small real models and data sets that ``helpers.resolve`` uses when the Hub is out of
reach. It lives next to the Hugging Face cache, in one folder per recipe version (``RECIPE_VERSION``), so an
old kit is never mistaken for a current one. Each part (a model, a data set, a metric) has its own folder and a
record of its files' sizes and SHA-256 digests (``component.json``), written last when the part is built.

This module only reads the kit. ``python -m instructor_tools.kit build`` builds it (``make kit``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

RECIPE_VERSION = "8"
HOME_VARIABLE = "QUICKTOUR_KIT_HOME"
RECORD = "component.json"  # each part's record (the file keeps the name it has in every kit built so far)
LINKED = "a symbolic link, which the kit never follows (it holds none)"
_SHA256 = re.compile(r"[0-9a-f]{64}")

#: Every part of the kit, in build order, and its folder inside the kit.
PART_DIRS: dict[str, str] = {
    "encoder": "models/minilm-encoder",
    "rotten_tomatoes": "datasets/rotten_tomatoes",
    "metric-accuracy": "metrics/accuracy",
    "metric-f1": "metrics/f1",
    "metric-wer": "metrics/wer",
    "sentiment": "models/minilm-sentiment",
    "whisper": "models/whisper-tiny-en",
    "speech": "datasets/speech-espeak",
    "causal-lm": "models/movie-lm",
}


class KitDamagedError(RuntimeError):
    """A kit part or the kit's manifest exists but is damaged; the message names the command that repairs it."""


class RecordError(ValueError):
    """A part's ``component.json`` that exists but is not a valid record (empty, truncated, wrong shape)."""


def hf_home() -> Path:
    """The Hugging Face home as huggingface_hub computes it: ``$HF_HOME``, else
    ``$XDG_CACHE_HOME/huggingface``, else ``~/.cache/huggingface`` (without importing it)."""
    if os.environ.get("HF_HOME"):
        return Path(os.path.expanduser(os.environ["HF_HOME"]))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(os.path.expanduser(cache)) / "huggingface"


def kit_home() -> Path:
    """The folder that holds the kits of every recipe version (and the build lock).

    ``$QUICKTOUR_KIT_HOME`` if set (``~`` is expanded), else ``<HF home>/quicktour-kit``.
    """
    base = os.environ.get(HOME_VARIABLE, "").strip()
    return Path(os.path.expanduser(base)) if base else hf_home() / "quicktour-kit"


def kit_root() -> Path:
    """The kit folder for this recipe version: ``<kit home>/v<RECIPE_VERSION>``."""
    return kit_home() / f"v{RECIPE_VERSION}"


def part_dir(part: str) -> Path:
    """The folder of one kit part; KeyError names the known ones."""
    try:
        return kit_root() / PART_DIRS[part]
    except KeyError:
        raise KeyError(f"unknown kit part {part!r}; known: {', '.join(PART_DIRS)}") from None


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def parse_json(text: str) -> Any:
    """``json.loads``, with a ValueError in plain words for an empty or truncated file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        what = "empty" if not text.strip() else f"not valid JSON ({exc.msg}: line {exc.lineno}; truncated?)"
        raise ValueError(what) from None


def record_shape_problem(record: Any) -> str | None:
    """Why ``record`` is not a valid part record, or None when it is."""
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
    """The part's record; None when the part is absent or unfinished.

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


def read_record(folder: Path) -> dict[str, Any] | None:
    """The part's record, or None when the part is absent, unfinished, damaged or unreadable."""
    try:
        return load_record(folder)
    except (RecordError, PermissionError):
        return None


def link_on_the_way(path: Path) -> Path | None:
    """The first of ``path`` and its parents inside the kit home that is a symbolic link, else None."""
    home = kit_home()
    for candidate in [path, *path.parents]:
        if candidate == home or home not in candidate.parents:
            return None
        if candidate.is_symlink():
            return candidate
    return None


def check(folder: Path, deep: bool = True) -> list[str]:
    """Problems with a built part: missing or damaged record, missing, unreadable, resized
    or (deep) altered files. ``deep=False`` only compares sizes (no hashing). The kit holds no symbolic links:
    a part's folder, or a file in it, that is a link is a problem (a rebuild replaces the link itself)."""
    linked = link_on_the_way(folder)
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
        if link_on_the_way(path) is not None:  # the file itself, or a folder between it and the part's
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

"""The offline kit on a USB stick: ``python -m instructor_tools.kit export kit.tar`` / ``import kit.tar``.

An instructor builds the kit once and hands it out. It travels in the same verified archive format as
the classroom's prefetched Hub cache (``instructor_tools.archive``, used by ``instructor_tools.classroom``): every file
listed with its SHA-256, everything checked in a staging folder before anything is put in place.
``import`` then checks the parts' own records too, and refuses a kit of another recipe version.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from helpers.offline_kit import PART_DIRS, RECIPE_VERSION, kit_home, kit_root
from instructor_tools.archive import ArchiveError, extract_verified, pack
from instructor_tools.kit import manifest
from instructor_tools.kit.build import STAGING_PREFIXES, build_lock, verify

ARCHIVE_KIND = "offline-kit"
MANIFEST = "manifest.json"
IMPORTED = "imported.json"  # written into a kit installed by import_kit (make check-env reports it)


def _skip(rel: str) -> bool:
    """Locks, staging folders and temporary files of interrupted builds stay behind."""
    return any(p.startswith(STAGING_PREFIXES) or p.endswith((".lock", ".tmp")) for p in rel.split("/"))


def export_kit(output: Path) -> dict[str, Any]:
    """Write the current kit (recipe v``RECIPE_VERSION``) into one verified archive; returns its manifest.

    Refuses a kit that ``verify`` would not pass: a damaged kit is not handed out.
    """
    root = kit_root()
    problems = verify(deep=True)
    if problems:
        raise ArchiveError(f"the kit at {root} is not intact, so it is not exported:\n  " + "\n  ".join(problems))
    facts = json.loads((root / MANIFEST).read_text())
    return pack(root, Path(output), ARCHIVE_KIND, facts=facts, skip=lambda rel: _skip(rel) or rel == IMPORTED)


def import_kit(archive: Path) -> Path:
    """Verify ``archive`` whole, then install it as this checkout's kit; returns the kit folder.

    Nothing is put in place unless every file matches the archive's SHA-256s, every part matches its
    own record, and the recipe version is this checkout's. An existing kit is replaced only then.
    """
    home = kit_home()
    home.mkdir(parents=True, exist_ok=True)
    with build_lock(wait=False):  # never under a running build (BlockingIOError names it)
        return _install(Path(archive), home)


def _install(archive: Path, home: Path) -> Path:
    """``import_kit``'s work, with the build lock held."""
    staging, contents = extract_verified(archive, home, ARCHIVE_KIND, links=False)  # a kit has no links
    try:
        version = contents.get("facts", {}).get("recipe_version")
        if version != RECIPE_VERSION:
            raise ArchiveError(f"{archive} holds a kit of recipe v{version}; this checkout needs v{RECIPE_VERSION}: "
                               "export it from a checkout of the same version, or build with `make kit`")
        problems = [p for part in PART_DIRS for p in manifest.check(staging / PART_DIRS[part], deep=False)]
        if problems or not (staging / MANIFEST).is_file():
            raise ArchiveError(f"{archive} is not a complete kit: " + "; ".join(problems[:3] or ["no manifest.json"]))
        manifest.apply_modes(staging, manifest.share_modes(home))  # as a build would leave them
        final = kit_root()
        manifest.swap_into_place(staging, final)
        record = os.open(final / IMPORTED, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(record, "w") as out:
            out.write(json.dumps({"archive": archive.name}) + "\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final

"""The offline kit's command line: ``python -m instructor_tools.kit build|verify|info|prune|export|import``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from helpers.offline_kit import RECIPE_VERSION, KitDamagedError, kit_home
from instructor_tools.archive import ArchiveError
from instructor_tools.kit.build import (
    Builder,
    human_size,
    parts_table,
    folder_size,
    build,
    format_info,
    info,
    older_versions,
    prune,
    verify,
)
from instructor_tools.kit.transfer import export_kit, import_kit


def _ask_on_tty(folders: list[Path]) -> bool:
    answer = input(f"delete {'this folder' if len(folders) == 1 else f'these {len(folders)} folders'}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def main(argv: list[str] | None = None, parts: Mapping[str, Builder] | None = None) -> int:
    """Command line: build [--force PART|all ...] | verify [--quick] | info [--json] | prune [--yes] | export | import."""
    table = parts_table(parts)
    parser = argparse.ArgumentParser(prog="python -m instructor_tools.kit", description="Build, check and hand out the offline kit.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build what is missing or damaged")
    b.add_argument("--force", nargs="+", default=[], metavar="PART", help=f"rebuild: all or {', '.join(table)}")
    v = sub.add_parser("verify", help="check every file against its recorded size and SHA-256")
    v.add_argument("--quick", action="store_true", help="sizes only, no hashing")
    i = sub.add_parser("info", help="show the manifest")
    i.add_argument("--json", action="store_true")
    p = sub.add_parser("prune", help="delete kits of older recipe versions (asks first)")
    p.add_argument("--yes", action="store_true", help="delete without asking")
    e = sub.add_parser("export", help="write the kit into one verified archive (for a USB stick)")
    e.add_argument("archive", type=Path)
    m = sub.add_parser("import", help="verify an exported kit archive whole, then install it")
    m.add_argument("archive", type=Path)
    args = parser.parse_args(argv)

    if args.command in ("export", "import"):
        try:
            if args.command == "export":
                contents = export_kit(args.archive)
                size = sum(meta["size"] for meta in contents["files"].values())
                print(f"[kit] exported {len(contents['files'])} files ({human_size(size)}) to {args.archive}; "
                      f"on each machine: python -m instructor_tools.kit import {args.archive.name}")
            else:
                print(f"[kit] verified and installed the kit at {import_kit(args.archive)}")
        except (ArchiveError, FileNotFoundError, KitDamagedError, BlockingIOError) as exc:
            print(f"error: {exc.strerror if isinstance(exc, BlockingIOError) else exc}", file=sys.stderr)
            return 1
        return 0

    if args.command == "build":
        start = time.monotonic()
        try:
            data = build(args.force, parts=parts)
        except ValueError as exc:  # an unknown part, a linked kit folder: one line, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(format_info(data))
        print(f"[kit] ready in {time.monotonic() - start:.1f} s")
        old = older_versions()
        if old:
            size = human_size(sum(folder_size(p) for p in old))
            print(f"[kit] older kit versions take {size}: {', '.join(p.name for p in old)} "
                  "(remove them with: python -m instructor_tools.kit prune)")
        return 0
    if args.command == "prune":
        return _prune_command(args.yes)
    if args.command == "verify":
        problems = verify(deep=not args.quick, parts=None if parts is None else list(table))
        for problem in problems:
            print(problem)
        print("kit OK" if not problems else f"{len(problems)} problem(s)")
        return 0 if not problems else 1
    try:
        data = info()
    except (FileNotFoundError, KitDamagedError, PermissionError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2) if args.json else format_info(data))
    return 0


def _prune_command(yes: bool) -> int:
    old = older_versions()
    if not old:
        print(f"nothing to remove: no kit of an older recipe version in {kit_home()}")
        return 0
    print(f"kits of older recipe versions in {kit_home()} (this checkout uses v{RECIPE_VERSION}):")
    for folder in old:
        print(f"  {folder}  ({human_size(folder_size(folder))})")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not yes and not interactive:
        print("nothing deleted: to delete them, run: python -m instructor_tools.kit prune --yes")
        return 1
    try:
        removed = prune(yes=yes, confirm=_ask_on_tty)
    except BlockingIOError as exc:
        print(f"nothing deleted: {exc}; try again when it has finished")
        return 1
    except (EOFError, KeyboardInterrupt):
        removed = []
    print("removed: " + ", ".join(str(p) for p in removed) if removed else "nothing deleted")
    return 0

"""Build, verify and describe the offline kit (``python -m helpers.kit build|verify|info``).

``build`` skips every part that is already complete and intact, so a second run takes
seconds; ``--force`` rebuilds. The kit's ``manifest.json`` is written last, from the parts'
own records, and is what ``info`` shows.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from helpers.kit import manifest
from helpers.kit.parts import BUILDERS
from helpers.kit.paths import COMPONENT_DIRS, RECIPE_VERSION, component_dir, kit_root

MANIFEST = "manifest.json"


def _log(part: str) -> Any:
    def log(message: str) -> None:
        print(f"[kit] {part}: {message}", flush=True)

    return log


def build(force: Iterable[str] = ()) -> dict[str, Any]:
    """Build every missing or damaged part, then write the manifest; returns the manifest.

    ``force`` names parts to rebuild even when intact ("all" for every part).
    """
    force = set(force)
    unknown = force - set(BUILDERS) - {"all"}
    if unknown:
        raise ValueError(f"unknown kit part(s) {sorted(unknown)}; known: {', '.join(BUILDERS)}")
    from helpers.mode import current_mode

    current_mode()  # settle HF_HUB_OFFLINE before datasets/transformers are imported
    root = kit_root()
    print(f"[kit] building the offline kit (recipe v{RECIPE_VERSION}) in {root}", flush=True)
    for number, (part, builder) in enumerate(BUILDERS.items(), start=1):
        final = component_dir(part)
        log = _log(f"{number}/{len(BUILDERS)} {part}")
        if part not in force and "all" not in force and not manifest.check(final):
            log("up to date")
            continue
        log("building")
        start = time.monotonic()
        staging = manifest.staging_dir(final)
        try:
            facts = builder(staging, log)
            facts["build_seconds"] = round(time.monotonic() - start, 1)
            manifest.commit(staging, final, facts)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if COMPONENT_DIRS[part].startswith("datasets/"):
            forget_datasets_cache(final.name)
        log(f"done in {time.monotonic() - start:.1f} s")
    return write_manifest()


def forget_datasets_cache(folder_name: str) -> None:
    """Drop 🤗 Datasets' cached copy of a rebuilt kit data set.

    ``load_dataset(path)`` caches under a key it derives from the folder, and may keep serving
    the old rows after the folder is rebuilt in place.
    """
    import datasets

    for cached in Path(datasets.config.HF_DATASETS_CACHE).glob(f"{folder_name}*"):
        if cached.is_dir():
            shutil.rmtree(cached, ignore_errors=True)
        else:
            cached.unlink(missing_ok=True)


def write_manifest() -> dict[str, Any]:
    """Gather the parts' records into ``manifest.json`` at the kit root."""
    root = kit_root()
    parts = {}
    for part in COMPONENT_DIRS:
        record = manifest.read_record(component_dir(part))
        if record is None:
            raise RuntimeError(f"kit part {part!r} is missing after the build")
        size = sum(meta["size"] for meta in record["files"].values())
        parts[part] = {"path": COMPONENT_DIRS[part], "bytes": size, "facts": record["facts"]}
    data = {
        "recipe_version": RECIPE_VERSION,
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parts": parts,
    }
    manifest.write_json_atomic(root / MANIFEST, data)
    return data


def verify(deep: bool = True) -> list[str]:
    """Every problem found in the kit (empty when intact), each saying what to rebuild."""
    problems = []
    for part in COMPONENT_DIRS:
        for problem in manifest.check(component_dir(part), deep=deep):
            problems.append(f"{problem} -> rebuild with: python -m helpers.kit build --force {part}")
    if not problems and not (kit_root() / MANIFEST).is_file():
        problems.append(f"{kit_root() / MANIFEST}: missing -> run: python -m helpers.kit build")
    return problems


def info() -> dict[str, Any]:
    """The kit's manifest; FileNotFoundError with what to do when the kit is not built."""
    path = kit_root() / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"the offline kit is not built at {kit_root()}: run `make kit`")
    return json.loads(path.read_text())


def format_info(data: dict[str, Any]) -> str:
    """A short human summary of the manifest."""
    total = sum(meta["bytes"] for meta in data["parts"].values())
    lines = [f"offline kit v{data['recipe_version']} at {kit_root()} (written {data['written']}; {total / 1e6:.0f} MB)"]
    order = [part for part in COMPONENT_DIRS if part in data["parts"]]
    for part in order + sorted(set(data["parts"]) - set(order)):
        meta = data["parts"][part]
        facts = meta["facts"]
        extra = ""
        if "test_accuracy" in facts:
            extra = (
                f"  held-out test accuracy {facts['test_accuracy']:.4f}"
                f" (validation {facts['validation_accuracy']:.4f}; trained {facts['train_seconds']} s)"
            )
        elif "splits" in facts:
            extra = "  " + ", ".join(f"{k} {v}" for k, v in facts["splits"].items())
        elif "audio_seconds" in facts:
            extra = f"  {facts['utterances']} utterances, {facts['audio_seconds']} s at {facts['sampling_rate']} Hz"
        elif "parameters" in facts:
            extra = f"  {facts['parameters'] / 1e6:.1f}M parameters"
        lines.append(f"  {part:16} {meta['bytes'] / 1e6:8.1f} MB  {meta['path']}{extra}")
    return "\n".join(lines)


def older_versions() -> list[Path]:
    """Kit folders of other recipe versions beside the current one (left by earlier builds)."""
    current = kit_root()
    if not current.parent.is_dir():
        return []
    return sorted(p for p in current.parent.glob("v*") if p.is_dir() and p != current)


def prune() -> list[Path]:
    """Delete the kit folders of other recipe versions; returns what was removed."""
    removed = older_versions()
    for folder in removed:
        shutil.rmtree(folder)
    return removed


def main(argv: list[str] | None = None) -> int:
    """Command line: build [--force PART|all ...] | verify [--quick] | info [--json] | prune."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpers.kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build what is missing or damaged")
    b.add_argument("--force", nargs="+", default=[], metavar="PART", help=f"rebuild: all or {', '.join(BUILDERS)}")
    v = sub.add_parser("verify", help="check every file against its recorded size and SHA-256")
    v.add_argument("--quick", action="store_true", help="sizes only, no hashing")
    i = sub.add_parser("info", help="show the manifest")
    i.add_argument("--json", action="store_true")
    sub.add_parser("prune", help="delete kits of other recipe versions")
    args = parser.parse_args(argv)

    if args.command == "build":
        start = time.monotonic()
        data = build(args.force)
        print(format_info(data))
        print(f"[kit] ready in {time.monotonic() - start:.1f} s")
        old = older_versions()
        if old:
            print(f"[kit] older kit versions take disk space: {', '.join(p.name for p in old)} "
                  "(remove them with: python -m helpers.kit prune)")
        return 0
    if args.command == "prune":
        removed = prune()
        print("removed: " + ", ".join(str(p) for p in removed) if removed else "nothing to remove")
        return 0
    if args.command == "verify":
        problems = verify(deep=not args.quick)
        for problem in problems:
            print(problem)
        print("kit OK" if not problems else f"{len(problems)} problem(s)")
        return 0 if not problems else 1
    try:
        data = info()
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2) if args.json else format_info(data))
    return 0

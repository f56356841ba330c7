"""Real Hub checkpoints for a classroom without Wi-Fi (``python -m instructor_tools.classroom ...``).

Before class, online, the instructor runs::

    python -m instructor_tools.classroom prefetch            # every Hub id the notebooks name -> ./classroom-cache
    python -m instructor_tools.classroom pack                # -> classroom-cache.tar (one file, with SHA-256s)

and hands the archive out (USB stick, shared drive). On each learner's machine::

    python -m instructor_tools.classroom unpack classroom-cache.tar   # verified, then into the learner's HF cache

Then ``helpers.setup()`` reports the Hub checkpoints from the local cache, and the notebooks run on
the real checkpoints with no network. The offline kit stays the fallback for anything the cache lacks.
``serve`` runs a Hub mirror (PyPI ``olah``) on the instructor's machine instead: a caching proxy for
the room, where what one machine downloads, the others get from it.

The cache folder is laid out as a Hugging Face home (``hub/``, ``datasets/``, ``modules/``), so it
can also be used directly with ``HF_HOME=classroom-cache``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from instructor_tools.archive import ArchiveError, extract_verified, merge_into, pack
from helpers.catalog import CATALOG, Entry
from instructor_tools.hubserver import client_env
from helpers.offline_kit import hf_home
from helpers.mode import hub_endpoint, probe_hub

ARCHIVE_KIND = "hf-cache"
DEFAULT_CACHE = Path("classroom-cache")
DEFAULT_ARCHIVE = Path("classroom-cache.tar")
RECORD = "classroom.json"
# What a model needs: configs, tokenizer and processor files (chat templates saved by Transformers v5 are
# chat_template.jinja), safetensors weights. Not the TF, Flax, ONNX or Rust copies many Hub repos also hold
# (they can be larger than the model itself).
MODEL_FILES = ["*.json", "*.txt", "*.jinja", "*.model", "*.safetensors", "README.md"]
MODEL_SKIP = ["onnx/*", "openvino/*", "coreml/*", "runs/*"]
FALLBACK_WEIGHTS = ["pytorch_model*.bin"]  # only when a repo has no safetensors


class PrefetchError(RuntimeError):
    """The Hub (or the mirror in HF_ENDPOINT) could not serve what the notebooks need."""


def hub_entries() -> list[Entry]:
    """Every distinct Hub id the notebooks name (the catalog, once per id)."""
    seen: dict[str, Entry] = {}
    for entry in CATALOG:
        seen.setdefault(entry.hub_id, entry)
    return list(seen.values())


def prefetch(cache: Path = DEFAULT_CACHE) -> dict[str, Any]:
    """Download every Hub id into ``cache`` (a Hugging Face home); returns its record.

    Downloads go to a staging folder first, in a child process whose HF_HOME points there (the Hub
    client reads HF_HOME once, at import). Only a complete download is merged into ``cache``; on
    any failure ``cache`` is left as it was and PrefetchError says what failed.
    """
    reachable, why = probe_hub()
    if not reachable:
        raise PrefetchError(
            f"cannot prefetch: {why}.\nRun this on a machine that is online, or point HF_ENDPOINT at a Hub mirror."
        )
    cache = Path(cache).expanduser().resolve()
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{cache.name}-", dir=cache.parent))
    # online, every download under the staging HF home (no offline switch, no other cache location)
    env = client_env(hub_endpoint(), staging)
    try:
        result = subprocess.run([sys.executable, "-m", "instructor_tools.classroom", "_download", str(staging)], env=env)
        if result.returncode != 0:
            raise PrefetchError(f"prefetch failed (see the lines above); {cache} was left as it was")
        record = json.loads((staging / RECORD).read_text())
        if cache.exists():
            merge_into(staging, cache)
        else:
            staging.rename(cache)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def _download_all(home: Path) -> None:
    """The child process of ``prefetch``: HF_HOME is ``home`` and the network is allowed."""
    record: dict[str, Any] = {"endpoint": hub_endpoint(), "items": []}
    start = time.monotonic()
    for entry in hub_entries():
        began = time.monotonic()
        if entry.kind == "model":
            detail = _download_model(entry.hub_id)
        elif entry.kind == "dataset":
            detail = _download_dataset(entry)
        else:
            detail = _download_metric(entry.hub_id)
        seconds = time.monotonic() - began
        print(f"[prefetch] {entry.kind:8} {entry.hub_id}: {detail} ({seconds:.1f} s)", flush=True)
        record["items"].append({"kind": entry.kind, "hub_id": entry.hub_id, "config": entry.config, "detail": detail})
    record["written"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record["seconds"] = round(time.monotonic() - start, 1)
    (home / RECORD).write_text(json.dumps(record, indent=2) + "\n")


def _download_model(repo_id: str) -> str:
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(repo_id, allow_patterns=MODEL_FILES, ignore_patterns=MODEL_SKIP))
    if not any(folder.glob("*.safetensors")):
        folder = Path(snapshot_download(repo_id, allow_patterns=MODEL_FILES + FALLBACK_WEIGHTS, ignore_patterns=MODEL_SKIP))
    files = [p for p in folder.rglob("*") if p.is_file()]
    return f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB"


def _download_dataset(entry: Entry) -> str:
    from datasets import load_dataset

    data = load_dataset(entry.hub_id, entry.config) if entry.config else load_dataset(entry.hub_id)
    return ", ".join(f"{split} {len(rows)}" for split, rows in data.items())


def _download_metric(name: str) -> str:
    import evaluate

    evaluate.load(name)
    return "evaluate module"


def pack_cache(cache: Path = DEFAULT_CACHE, output: Path = DEFAULT_ARCHIVE) -> dict[str, Any]:
    """Write the prefetched ``cache`` into one archive with a SHA-256 for every file."""
    cache = Path(cache).expanduser()
    if not (cache / RECORD).is_file():
        raise FileNotFoundError(f"{cache} is not a prefetched classroom cache: run `python -m instructor_tools.classroom prefetch` first")
    record = json.loads((cache / RECORD).read_text())

    def skip(rel: str) -> bool:  # locks and credentials stay on the instructor's machine
        name = rel.rsplit("/", 1)[-1]
        return name.endswith(".lock") or name in ("token", "stored_tokens") or "/.locks/" in f"/{rel}"

    return pack(cache, Path(output), ARCHIVE_KIND, facts=record, skip=skip)


def unpack_cache(archive: Path, home: Path | None = None) -> int:
    """Verify ``archive`` whole, then install it into ``home`` (the learner's HF home); returns files installed."""
    home = Path(home).expanduser() if home else hf_home()
    staging, _ = extract_verified(Path(archive), home.parent if not home.exists() else home, ARCHIVE_KIND)
    return merge_into(staging, home)


def main(argv: list[str] | None = None) -> int:
    """Command line: prefetch | pack | unpack | serve | list."""
    parser = argparse.ArgumentParser(prog="python -m instructor_tools.classroom", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prefetch", help="download every Hub id the notebooks name (online, before class)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"cache folder (default {DEFAULT_CACHE})")
    k = sub.add_parser("pack", help="write the cache into one verified archive")
    k.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    k.add_argument("--output", type=Path, default=DEFAULT_ARCHIVE)
    u = sub.add_parser("unpack", help="verify an archive, then install it into your Hugging Face cache")
    u.add_argument("archive", type=Path)
    u.add_argument("--hf-home", type=Path, default=None, help="default: $HF_HOME or ~/.cache/huggingface")
    s = sub.add_parser("serve", help="a Hub mirror (olah) for the room: a caching proxy of the Hub")
    s.add_argument("--port", type=int, default=8090)
    s.add_argument("--host", default="0.0.0.0", help="0.0.0.0 lets the learners' machines connect")
    s.add_argument("--cache", type=Path, default=Path("classroom-mirror"))
    sub.add_parser("list", help="the Hub ids the notebooks name")
    d = sub.add_parser("_download")  # internal: the child process of prefetch
    d.add_argument("home", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            for entry in hub_entries():
                print(f"{entry.kind:8} {entry.hub_id}" + (f" ({entry.config})" if entry.config else ""))
        elif args.command == "_download":
            _download_all(args.home)
        elif args.command == "prefetch":
            record = prefetch(args.cache)
            print(f"[prefetch] {len(record['items'])} Hub ids from {record['endpoint']} in {args.cache} "
                  f"({record['seconds']} s); next: python -m instructor_tools.classroom pack --cache {args.cache}")
        elif args.command == "pack":
            manifest = pack_cache(args.cache, args.output)
            size = sum(meta["size"] for meta in manifest["files"].values())
            print(f"[pack] {len(manifest['files'])} files, {size / 1e6:.1f} MB -> {args.output}; "
                  f"on each machine: python -m instructor_tools.classroom unpack {args.output.name}")
        elif args.command == "unpack":
            count = unpack_cache(args.archive, args.hf_home)
            print(f"[unpack] verified and installed {count} files into {args.hf_home or hf_home()}; "
                  "helpers.setup() now finds the Hub checkpoints in the local cache")
        elif args.command == "serve":
            from instructor_tools.hubserver import serve_forever

            serve_forever(args.cache, host=args.host, port=args.port)
    except (PrefetchError, ArchiveError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

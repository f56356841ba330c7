"""``resolve(name)``: the Hub id when it can be served, else the offline kit's substitute.

Used by every notebook, always visibly::

    MODEL = helpers.resolve("distilbert/distilbert-base-uncased-finetuned-sst-2-english")
    classifier = pipeline("sentiment-analysis", model=MODEL)

It prints one line saying what it chose and why. It never puts a substitute under a Hub
name: the learner always sees which one is in use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import offline_kit
from helpers.catalog import Entry, known_names, lookup
from helpers.mode import MODE_VARIABLE, current_mode
from helpers.offline_kit import KitDamagedError, hf_home, kit_root, part_dir

SHOWN_NAME_CHARS = 120  # longer names are shortened in error messages


class UnknownCheckpointError(LookupError):
    """Raised offline for a name the offline kit has no substitute for."""


class KitMissingError(FileNotFoundError):
    """Raised when the offline kit (or the part asked for) has not been built."""


class KitUnreadableError(PermissionError):
    """Raised when the kit exists but this user may not read it (a kit shared without read access)."""


def resolve(name: str, *, quiet: bool = False) -> str:
    """Return what to pass to ``from_pretrained`` / ``load_dataset`` / ``evaluate.load``.

    - mode "hub" (the Hub answered, or ``QUICKTOUR_MODE=hub``): ``name`` itself;
    - offline, found in the local Hugging Face cache: ``name`` (the cache serves it), unless
      ``QUICKTOUR_MODE=offline`` asks for the kit explicitly;
    - otherwise: the path of the kit's substitute.

    Prints one line saying which and why (``quiet=True`` to skip).
    Raises TypeError/ValueError for a bad name, UnknownCheckpointError for a name the kit
    cannot stand in for, KitMissingError when the kit has not been built, KitDamagedError when
    the part's files do not match their recorded sizes (a cheap check, no hashing) or its record
    is damaged, and KitUnreadableError when this user may not read the kit; each says what to run.
    """
    if not isinstance(name, str):
        raise TypeError(f"resolve() takes a Hub name as a string, not {type(name).__name__}")
    if not name.strip():
        raise ValueError("resolve() needs a Hub name, for example 'distilbert/distilbert-base-uncased'")
    mode = current_mode()
    entry = lookup(name)
    if not mode.offline:
        return _say(name, f"Hub ({mode.reason})", quiet)
    if entry is None:
        raise UnknownCheckpointError(
            f"{_shown(name)} is not on the Hub here ({mode.reason}) and the offline kit has no substitute for it.\n"
            f"Known names: {', '.join(known_names())}.\n"
            f"To use it, get online and run with {MODE_VARIABLE}=auto (or hub)."
        )
    if not mode.forced and _in_hf_cache(entry, name):
        return _say(name, f"local Hugging Face cache ({mode.reason})", quiet)
    path = part_dir(entry.part)
    try:
        record = _kit_record(name, entry, path)
    except KitMissingError as exc:
        hint = _offline_hint(mode.reason)  # "" when offline was asked for (QUICKTOUR_MODE=offline)
        if not hint:
            raise
        raise KitMissingError(f"{exc}\n{hint}") from None
    note = f"offline kit: {entry.substitute}"
    accuracy = record.get("facts", {}).get("test_accuracy")
    if accuracy is not None:
        note += f", held-out accuracy {accuracy:.3f}"
    if entry.caveat:
        note += f"; NOTE: {entry.caveat}"
    _say(name, f"kit:{path.relative_to(kit_root()).as_posix()} ({note})", quiet)
    return str(path)


def _offline_hint(reason: str) -> str:
    """How to reach the Hub instead, when the session went offline without being told to (``reason``), or "".

    A learner online whose first Hub check failed (a slow network, a proxy) did not choose offline: say how to
    insist on the Hub instead of building the kit. HF_HUB_OFFLINE=1 forbids the Hub, so it must go first.
    """
    restart = (f"restart the kernel, then set os.environ[{MODE_VARIABLE!r}] = 'hub' in the first cell, before "
               "helpers.setup(), and run from the top")
    if reason.startswith("auto:"):
        return f"This session went offline by itself ({reason}). If you are online, {restart}."
    if "HF_HUB_OFFLINE" in reason:
        return f"HF_HUB_OFFLINE=1 keeps this session offline. To use the Hub instead, unset it, {restart}."
    return ""


def _shown(name: str) -> str:
    """``name`` for an error message: quoted, and shortened when very long."""
    if len(name) <= SHOWN_NAME_CHARS:
        return repr(name)
    return f"{name[: SHOWN_NAME_CHARS - 20]!r}… ({len(name):,} characters)"


def _kit_record(name: str, entry: Entry, path: Path) -> dict:
    """The record of the kit part serving ``entry``, after a cheap check of its files' sizes.

    Raises KitMissingError (not built), KitUnreadableError (no read permission) or KitDamagedError
    (damaged record, or files missing or of another size than recorded), each naming the repair.
    Only sizes are compared here; ``python -m instructor_tools.kit verify`` also compares SHA-256 digests.
    """
    repair = f"python -m instructor_tools.kit build --force {entry.part}"
    try:
        record = offline_kit.load_record(path)
    except PermissionError:
        record, problems = None, [f"{path / offline_kit.RECORD}: not readable by you (permission denied)"]
    except offline_kit.RecordError as exc:
        raise KitDamagedError(
            f"{name!r} needs the offline kit's {entry.part!r} part, whose record is damaged:\n  {exc}\n"
            f"Repair it with: {repair}\nthen run this cell again."
        ) from None
    else:
        if record is None:
            raise KitMissingError(
                f"{name!r} needs the offline kit's {entry.part!r} part, which is not built at {path}.\n"
                "Build it with `make kit` (or `python -m instructor_tools.kit build`), then run this cell again."
            )
        problems = offline_kit.check(path, deep=False)
    unreadable = [p for p in problems if "permission denied" in p]
    if unreadable:
        raise KitUnreadableError(
            f"{name!r} needs the offline kit at {path}, which you may not read:\n  {unreadable[0]}\n"
            "The kit belongs to another user: ask them to run `python -m instructor_tools.kit build`, which makes it "
            "readable by everyone who can open its home, or build a kit of your own with QUICKTOUR_KIT_HOME "
            "set to a folder of yours."
        )
    if problems:
        more = f"\n  … and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise KitDamagedError(
            f"{name!r} needs the offline kit's {entry.part!r} part, which is damaged "
            "(its files do not match their record):\n  " + "\n  ".join(problems[:3]) + more + "\n"
            f"Repair it with: {repair}\nthen run this cell again."
        )
    return record


def _say(name: str, source: str, quiet: bool) -> str:
    """Print the one line a learner reads: which name, and where it comes from."""
    if not quiet:
        print(f"resolve: {name} -> {source}")
    return name


def _in_hf_cache(entry: Entry, name: str | None = None) -> bool:
    """Whether the local Hugging Face caches can serve ``name`` (default: the entry's Hub id) offline,
    completely: a half-downloaded model must not win over the kit.

    - model: the Hub cache snapshot of the cached revision (``refs/main``) holds config.json, a
      complete set of weights (model.safetensors, or an index and every shard it lists, or
      pytorch_model.bin) and a tokenizer or processor file, and no download is unfinished
      (``blobs/*.incomplete``);
    - dataset: what 🤗 Datasets itself loads offline. With HF_HUB_OFFLINE=1,
      ``load_dataset("org/name"[, config])`` never reads the Hub cache: it falls back to the Arrow
      copy it prepared earlier under ``$HF_DATASETS_CACHE/org___name/<config>/<version>/<hash>/``
      (datasets/load.py, ``CachedDatasetModuleFactory``; packaged_modules/cache/cache.py). So: the
      latest such folder (of the entry's config, when the catalog names one) has a dataset_info.json
      for its config and every split's Arrow files, and, without a config name, no other config
      competes;
    - metric: the evaluate modules cache holds the module's .py in each of its hash folders.

    Only file names and existence are checked (no hashing). Call it after the mode is settled.
    """
    repo = name or entry.hub_id
    try:
        if entry.kind == "metric":
            return _metric_cached(repo)
        if entry.kind == "dataset":
            return _dataset_cached(repo, getattr(entry, "config", None))
        return _model_cached(repo)
    except (OSError, ValueError):
        return False


TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "vocab.json",
    "preprocessor_config.json",
    "processor_config.json",
)


def _hub_cache() -> Path:
    """The Hub cache folder, as huggingface_hub computes it (HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, <HF home>/hub)."""
    found = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    return Path(os.path.expandvars(os.path.expanduser(found))) if found else hf_home() / "hub"


def _model_cached(repo: str) -> bool:
    if repo.count("/") > 1 or not repo.strip("/"):
        return False
    folder = _hub_cache() / f"models--{repo.replace('/', '--')}"
    if any(folder.glob("blobs/*.incomplete")):
        return False  # a download was interrupted (or is running)
    revision = (folder / "refs" / "main").read_text().strip()
    snapshot = folder / "snapshots" / revision
    if not revision or not (snapshot / "config.json").is_file():
        return False
    if not any((snapshot / name).is_file() for name in TOKENIZER_FILES):
        return False
    if (snapshot / "model.safetensors").is_file() or (snapshot / "pytorch_model.bin").is_file():
        return True
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        if (snapshot / index).is_file():
            shards = set(json.loads((snapshot / index).read_text())["weight_map"].values())
            if shards and all((snapshot / shard).is_file() for shard in shards):
                return True
    return False


def _dataset_cached(repo: str, config: str | None = None) -> bool:
    """Mirrors datasets 5's offline fallback for ``load_dataset(repo)``, or ``load_dataset(repo, config)``
    when the notebooks name a config (packaged_modules/cache/cache.py, ``_find_hash_in_cache``)."""
    if repo.count("/") > 1 or not repo.strip("/"):
        return False
    cache = Path(os.path.expanduser(os.environ.get("HF_DATASETS_CACHE") or str(hf_home() / "datasets")))
    namespace_and_name = repo.split("/")
    namespace_and_name[-1] = _snake(namespace_and_name[-1])
    root = cache / "___".join(namespace_and_name)
    candidates = [p for p in root.glob(f"{config or '*'}/*/*") if p.is_dir()]
    if not candidates:
        return False
    infos = {}
    for folder in candidates:  # datasets reads every candidate's dataset_info.json: one missing fails the load
        infos[folder] = json.loads((folder / "dataset_info.json").read_text(encoding="utf-8"))
    usable = [f for f in candidates if infos[f].get("config_name") == f.parts[-3]]
    if not usable:
        return False
    latest = max(usable, key=lambda f: f.stat().st_mtime)
    version, digest = latest.parts[-2:]
    same_build = [f for f in usable if f.parts[-2:] == (version, digest)]
    if config is None and len(same_build) > 1:
        return False  # several configs: load_dataset(repo) without a config name refuses
    splits = infos[latest].get("splits") or {}
    if not isinstance(splits, dict) or not splits:
        return False
    prefix = _snake(repo.split("/")[-1])
    for split, meta in splits.items():
        shards = (meta or {}).get("shard_lengths") or []
        if len(shards) > 1:
            names = [f"{prefix}-{split}-{i:05d}-of-{len(shards):05d}.arrow" for i in range(len(shards))]
        else:
            names = [f"{prefix}-{split}.arrow"]
        if not all((latest / n).is_file() for n in names):
            return False
    return True


def _snake(name: str) -> str:
    """datasets.naming.camelcase_to_snakecase, without importing datasets."""
    import re

    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name)
    return name.lower()


def _metric_cached(name: str) -> bool:
    """Mirrors evaluate's offline fallback: the newest hash folder of the module holds its .py."""
    modules = Path(os.path.expanduser(os.environ.get("HF_MODULES_CACHE") or str(hf_home() / "modules")))
    short = name.split("/")[-1]
    module = f"evaluate-metric--{short}" if "/" not in name else name.replace("/", "--")
    folder = modules / "evaluate_modules" / "metrics" / module
    hashes = [h for h in folder.iterdir() if len(h.name) == 64] if folder.is_dir() else []
    return bool(hashes) and all((h / f"{short}.py").is_file() for h in hashes)

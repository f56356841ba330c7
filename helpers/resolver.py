"""``resolve(name)``: the Hub id when it can be served, else the offline kit's substitute.

Used by every notebook, always visibly::

    MODEL = helpers.resolve("distilbert/distilbert-base-uncased-finetuned-sst-2-english")
    classifier = pipeline("sentiment-analysis", model=MODEL)

It prints one line saying what it chose and why. It never puts a substitute under a Hub
name: the learner always sees which one is in use.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers.catalog import Entry, known_names, lookup
from helpers.kit.manifest import read_record
from helpers.kit.paths import component_dir, hf_home
from helpers.mode import MODE_VARIABLE, current_mode


class UnknownCheckpointError(LookupError):
    """Raised offline for a name the offline kit has no substitute for."""


class KitMissingError(FileNotFoundError):
    """Raised when the offline kit (or the part asked for) has not been built."""


def resolve(name: str, *, quiet: bool = False) -> str:
    """Return what to pass to ``from_pretrained`` / ``load_dataset`` / ``evaluate.load``.

    - mode "hub" (the Hub answered, or ``QUICKTOUR_MODE=hub``): ``name`` itself;
    - offline, found in the local Hugging Face cache: ``name`` (the cache serves it), unless
      ``QUICKTOUR_MODE=offline`` asks for the kit explicitly;
    - otherwise: the path of the kit's substitute.

    Prints one line saying which and why (``quiet=True`` to skip).
    Raises TypeError/ValueError for a bad name, UnknownCheckpointError for a name the kit
    cannot stand in for, and KitMissingError when the kit has not been built.
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
            f"{name!r} is not on the Hub here ({mode.reason}) and the offline kit has no substitute for it.\n"
            f"Known names: {', '.join(known_names())}.\n"
            f"To use it, get online and run with {MODE_VARIABLE}=auto (or hub)."
        )
    if not mode.forced and _in_hf_cache(entry):
        return _say(name, f"local Hugging Face cache ({mode.reason})", quiet)
    path = component_dir(entry.component)
    record = read_record(path)
    if record is None:
        raise KitMissingError(
            f"{name!r} needs the offline kit's {entry.component!r} part, which is not built at {path}.\n"
            "Build it with `make kit` (or `python -m helpers.kit build`), then run this cell again."
        )
    note = f"offline kit: {entry.substitute}"
    accuracy = record.get("facts", {}).get("test_accuracy")
    if accuracy is not None:
        note += f" (held-out accuracy {accuracy:.3f})"
    if entry.caveat:
        note += f"; NOTE: {entry.caveat}"
    return _say(str(path), f"{note} [{mode.reason}]", quiet, asked=name)


def _say(result: str, why: str, quiet: bool, asked: str | None = None) -> str:
    if not quiet:
        shown = f"{asked} -> {result}" if asked else result
        print(f"resolve: {shown}\n         via {why}")
    return result


def _in_hf_cache(entry: Entry) -> bool:
    """Whether the local Hugging Face cache holds ``entry`` (so the Hub id works offline)."""
    if entry.kind == "metric":
        modules = os.environ.get("HF_MODULES_CACHE") or str(hf_home() / "modules")
        name = entry.hub_id.split("/")[-1]
        return Path(modules, "evaluate_modules", "metrics", f"evaluate-metric--{name}").is_dir()
    from huggingface_hub import try_to_load_from_cache  # settled mode: safe to import now

    filename = "config.json" if entry.kind == "model" else "README.md"
    found = try_to_load_from_cache(entry.hub_id, filename, repo_type=entry.kind)
    return isinstance(found, str)


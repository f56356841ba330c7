"""Where the offline kit lives, and which recipe version it is (used by resolve and the kit).

The kit is cached outside the repository, next to the Hugging Face cache, and keyed by
``RECIPE_VERSION``: changing how any part is built bumps it, so an old kit is never mistaken
for a current one.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers.kit.parts import PARTS

RECIPE_VERSION = "8"
HOME_VARIABLE = "QUICKTOUR_KIT_HOME"

# Where each part lives inside the kit: a view of the one table of parts, helpers.kit.parts.PARTS.
COMPONENT_DIRS: dict[str, str] = {name: part.folder for name, part in PARTS.items()}


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


def component_dir(component: str) -> Path:
    """The folder of one kit component; KeyError names the known ones."""
    try:
        return kit_root() / COMPONENT_DIRS[component]
    except KeyError:
        raise KeyError(f"unknown kit component {component!r}; known: {', '.join(COMPONENT_DIRS)}") from None

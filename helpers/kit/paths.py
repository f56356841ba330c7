"""Where the offline kit lives, and which recipe version it is (used by resolve and the kit).

The kit is cached outside the repository, next to the Hugging Face cache, and keyed by
``RECIPE_VERSION``: changing how any part is built bumps it, so an old kit is never mistaken
for a current one.
"""

from __future__ import annotations

import os
from pathlib import Path

RECIPE_VERSION = "4"
HOME_VARIABLE = "QUICKTOUR_KIT_HOME"

# Where each component lives inside the kit: one place for these paths.
COMPONENT_DIRS: dict[str, str] = {
    "encoder": "models/minilm-encoder",
    "rotten_tomatoes": "datasets/rotten_tomatoes",
    "metric-accuracy": "metrics/accuracy",
    "metric-f1": "metrics/f1",
    "metric-wer": "metrics/wer",
    "sentiment": "models/minilm-sentiment",
    "whisper": "models/whisper-tiny-en",
    "minds14": "datasets/minds14-espeak",
}


def kit_root() -> Path:
    """The kit folder for this recipe version.

    ``$QUICKTOUR_KIT_HOME`` if set, else ``$HF_HOME/quicktour-kit``, else
    ``~/.cache/huggingface/quicktour-kit``; then ``v<RECIPE_VERSION>`` below it.
    """
    base = os.environ.get(HOME_VARIABLE)
    if not base:
        hf_home = os.environ.get("HF_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface"
        )
        base = os.path.join(hf_home, "quicktour-kit")
    return Path(base) / f"v{RECIPE_VERSION}"


def component_dir(component: str) -> Path:
    """The folder of one kit component; KeyError names the known ones."""
    try:
        return kit_root() / COMPONENT_DIRS[component]
    except KeyError:
        raise KeyError(f"unknown kit component {component!r}; known: {', '.join(COMPONENT_DIRS)}") from None

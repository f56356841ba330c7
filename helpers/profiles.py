"""Training profiles: the quicktour's recipe on a GPU, a fast recipe on a CPU (notebook 05, the kit, the benchmark).

The quicktour fine-tunes with lr 2e-5, batch size 8 and 2 epochs over the full sequences. On a
2-core CPU that takes about 23 minutes for rotten_tomatoes; the ``cpu-fast`` profile trades a
little accuracy for a run of a few minutes. Notebook 05 shows which profile it picked and why,
and one variable switches it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

PROFILE_VARIABLE = "QUICKTOUR_PROFILE"


@dataclass(frozen=True)
class TrainingProfile:
    """The knobs of a fine-tuning run that change its cost."""

    name: str
    learning_rate: float
    batch_size: int
    epochs: float
    max_length: int | None  # None: the model's own limit (512 tokens for BERT-style models)
    why: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


QUICKTOUR = TrainingProfile(
    name="quicktour",
    learning_rate=2e-5,
    batch_size=8,
    epochs=2,
    max_length=None,
    why="the quicktour's recipe: small steps, small batches, two passes over the data",
)

# The kit trains its classifier with this profile: changing it changes the kit, so bump RECIPE_VERSION
# in helpers/kit/paths.py.
CPU_FAST = TrainingProfile(
    name="cpu-fast",
    learning_rate=1e-4,
    batch_size=32,
    epochs=1,
    max_length=64,
    why=(
        "one pass with 4x larger batches (fewer, better-used steps on a CPU), a 5x larger learning rate "
        "to make up for fewer steps, and sentences capped at 64 tokens (rotten_tomatoes sentences rarely exceed it)"
    ),
)

PROFILES: dict[str, TrainingProfile] = {p.name: p for p in (QUICKTOUR, CPU_FAST)}


def pick(device: str, name: str | None = None) -> TrainingProfile:
    """The profile for ``device``: ``name`` if given, else ``$QUICKTOUR_PROFILE``, else
    "quicktour" on a CUDA GPU and "cpu-fast" anywhere else.

    Raises ValueError for an unknown name, listing the known ones.
    """
    chosen = name or os.environ.get(PROFILE_VARIABLE) or ("quicktour" if device == "cuda" else "cpu-fast")
    try:
        return PROFILES[chosen]
    except KeyError:
        raise ValueError(f"unknown training profile {chosen!r}; choose one of: {', '.join(PROFILES)}") from None

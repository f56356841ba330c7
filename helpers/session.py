"""``helpers.setup()``: the first cell of every notebook.

It settles the mode (Hub or offline kit) before transformers is imported, fixes seeds,
picks the device, and prints one compact status block, so a learner (or an instructor
looking over a shoulder) sees at once what this session runs on.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from importlib import metadata

from helpers.device import fix_seeds, mixed_precision, pick_device
from helpers.offline_kit import kit_root
from helpers.mode import Mode, current_mode

LIBRARIES = ("torch", "transformers", "datasets", "evaluate", "accelerate")


@dataclass(frozen=True)
class Session:
    """What a notebook needs to know after setup."""

    seed: int
    device: str
    mixed_precision: str | None
    mode: Mode

    @property
    def offline(self) -> bool:
        return self.mode.offline


def versions() -> dict[str, str]:
    """Installed versions of the libraries the notebooks teach (without importing them)."""
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def setup(seed: int = 42, *, quiet: bool = False) -> Session:
    """Settle the mode, fix seeds, pick the device and print the status block.

    Call it before importing transformers, datasets or evaluate. ``seed`` must be a
    non-negative int. Returns a ``Session``.
    """
    before = dict(os.environ)
    mode = current_mode()  # first: may export HF_HUB_OFFLINE before huggingface_hub is imported
    fix_seeds(seed)
    device, why = pick_device()
    precision = mixed_precision(device)
    session = Session(seed=seed, device=device, mixed_precision=precision, mode=mode)
    changed = {k: v for k, v in os.environ.items() if before.get(k) != v}
    if not quiet:
        print(status_block(session, why))
        if changed:  # no hidden side effects: say what this call set for the libraries to read
            print("set:    " + " ".join(f"{k}={v}" for k, v in sorted(changed.items())))
    return session


def status_block(session: Session, device_why: str) -> str:
    """The lines ``setup`` prints."""
    libs = " · ".join(f"{k} {v}" for k, v in versions().items())
    if not session.offline:
        where = "models and data from the Hugging Face Hub"
    elif session.mode.forced:
        where = f"models and data from the offline kit at {kit_root()}"
    else:
        where = "Hub checkpoints from the local cache where present, else the offline kit"
    precision = session.mixed_precision or "off (float32)"
    lines = [
        f"python {platform.python_version()} · {libs}",
        f"device: {session.device} ({device_why}) · mixed precision: {precision} · seed {session.seed}",
        f"mode:   {session.mode.name} ({session.mode.reason}): {where}",
    ]
    if os.environ.get("COLAB_RELEASE_TAG"):
        lines.append("running on Google Colab")
    return "\n".join(lines)

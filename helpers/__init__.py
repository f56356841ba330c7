"""Plumbing shared by the quicktour notebooks.

Nothing here wraps the Transformers API being taught: notebooks call ``pipeline(...)``,
``from_pretrained(...)`` and ``Trainer(...)`` themselves. ``helpers`` settles the mode
(Hub or offline kit), seeds, device, checkpoint names and display.

Importing this package never imports transformers, datasets or huggingface_hub, because
huggingface_hub reads HF_HUB_OFFLINE once, at its own import: ``helpers.setup()`` must be
able to settle that first.
"""

from helpers.exercises import check, refused
from helpers.mode import Mode, current_mode
from helpers.resolver import UnknownCheckpointError, resolve
from helpers.session import Session, setup

__all__ = ["Mode", "Session", "UnknownCheckpointError", "check", "current_mode", "refused", "resolve", "setup"]

"""Freeze a classifier's pretrained encoder so that only its task head trains (the kit's head-first step).

Notebook 05 writes the same few lines out, since they are what it teaches; the kit calls this.
"""

from __future__ import annotations

from typing import Any


def freeze_encoder(model: Any) -> int:
    """Freeze the pretrained encoder of a ``*ForSequenceClassification`` model and return how many weights are
    left to train: the task head, and BERT's pooler (a pretrained layer between the encoder and the head that
    was never trained for the task, so it learns with the head). ``unfreeze`` undoes it.

    Raises TypeError for an object that is not a transformers model with a separate base model.
    """
    encoder = getattr(model, "base_model", None)
    if encoder is None or encoder is model:
        raise TypeError(
            f"freeze_encoder needs a transformers model with a task head on a base model "
            f"(e.g. AutoModelForSequenceClassification), not {type(model).__name__}"
        )
    encoder.requires_grad_(False)
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler.requires_grad_(True)
    return trainable(model)


def unfreeze(model: Any) -> int:
    """Make every weight of ``model`` trainable again; returns how many there are."""
    model.requires_grad_(True)
    return trainable(model)


def trainable(model: Any) -> int:
    """How many of ``model``'s weights have ``requires_grad`` set (the ones an optimizer would update)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

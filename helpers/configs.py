"""Comparing model configurations and counting parameters (notebooks 04 and 05)."""

from __future__ import annotations

from typing import Any

# Bookkeeping fields that say nothing about the model itself.
IGNORED = frozenset({"transformers_version", "_name_or_path", "architectures", "output_attentions"})


def config_diff(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field of config.json that differs, sorted by field.

    Takes two PretrainedConfig objects (or plain dicts). Missing fields show as None.
    """
    a = before if isinstance(before, dict) else before.to_dict()
    b = after if isinstance(after, dict) else after.to_dict()
    fields = sorted((set(a) | set(b)) - IGNORED)
    return [(f, a.get(f), b.get(f)) for f in fields if a.get(f) != b.get(f)]


def count_parameters(model: Any, trainable_only: bool = False) -> int:
    """Number of parameters (elements) of a torch model."""
    params = model.parameters()
    return sum(p.numel() for p in params if p.requires_grad or not trainable_only)

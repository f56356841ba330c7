"""Comparing model configurations field by field (notebook 04)."""

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


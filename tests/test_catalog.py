"""Tests of ``helpers.catalog``: every name the notebooks use maps to one kit part, once."""

from __future__ import annotations

from helpers.catalog import CATALOG, known_names, lookup
from helpers.offline_kit import PART_DIRS


def test_catalog_is_consistent():
    names = [n for e in CATALOG for n in (e.hub_id, *e.aliases)]
    assert len(names) == len(set(names)), "a name appears twice in the catalog"
    for entry in CATALOG:
        assert entry.part in PART_DIRS
        assert lookup(entry.hub_id) is entry
    assert lookup("rotten_tomatoes") is lookup("cornell-movie-review-data/rotten_tomatoes") is not None
    # the Hub ids the notebooks name, and no alias: an error message lists each checkpoint once
    assert {"distilbert/distilbert-base-uncased-finetuned-sst-2-english", "accuracy", "wer"} <= set(known_names())
    assert "evaluate-metric/accuracy" not in known_names() and "rotten_tomatoes" not in known_names()
    assert len(set(known_names())) == len(known_names())

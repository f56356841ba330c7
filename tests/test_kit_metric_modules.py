"""Tests of ``instructor_tools/kit/metric_modules``: the kit's WER metric, loaded by ``evaluate`` from the built kit
(needs the kit)."""

from __future__ import annotations

import pytest

from helpers.offline_kit import part_dir


@pytest.mark.needs_kit
def test_wer_module_counts_word_edits():
    import evaluate

    wer = evaluate.load(str(part_dir("metric-wer")))
    assert wer.compute(predictions=["hello world"], references=["hello world"]) == 0.0
    assert wer.compute(predictions=["hello word"], references=["hello world"]) == 0.5
    # one deletion + one insertion over 3 + 2 reference words
    assert wer.compute(predictions=["a b", "c d e"], references=["a b x", "c d"]) == pytest.approx(2 / 5)

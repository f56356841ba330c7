"""Tests of ``helpers.plots``: loss points and curves from a Trainer's log history, confusion counts and matrices,
and figures small enough to store in a notebook."""

from __future__ import annotations

import pytest

from helpers.plots import confusion_counts, confusion_matrix, loss_curve, loss_points

HISTORY = [
    {"loss": 0.69, "step": 20},
    {"loss": 0.55, "step": 40},
    {"eval_loss": 0.50, "eval_accuracy": 0.8, "step": 40},
    {"train_runtime": 10.0, "step": 40},
]


def test_loss_points_and_curve():
    train, evaluation = loss_points(HISTORY)
    assert train == [(20, 0.69), (40, 0.55)] and evaluation == [(40, 0.50)]
    fig = loss_curve(HISTORY)
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="trainer.train"):
        loss_curve([{"train_runtime": 1.0, "step": 0}])


def test_confusion_counts_and_matrix():
    assert confusion_counts([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2) == [[1, 1], [1, 2]]
    assert confusion_counts([0, 0, 0, 1], [1, 1, 0, 1], 2) == [[1, 2], [0, 1]]  # rows are the truth
    with pytest.raises(ValueError, match="references"):
        confusion_counts([0, 1], [0], 2)
    fig = confusion_matrix([0, 1], [1, 1], ["neg", "pos"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["0", "1", "0", "1"]


def test_small_figures_stay_small(tmp_path):
    path = tmp_path / "loss.png"
    loss_curve(HISTORY).savefig(path)
    assert path.stat().st_size < 100_000

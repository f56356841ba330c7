"""Small, light plots for the notebooks (notebook 05): a loss curve and a confusion matrix.

Figures are kept small (a few tens of kB as PNG) so notebooks stay light in git.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FIGSIZE = (5.5, 3.2)
DPI = 80


def loss_points(log_history: list[dict[str, Any]]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(training, evaluation) loss points as (step, loss) from ``trainer.state.log_history``."""
    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e]
    evaluation = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    return train, evaluation


def loss_curve(log_history: list[dict[str, Any]]) -> Any:
    """Plot training (and evaluation) loss against the step; returns the matplotlib Figure.

    Raises ValueError when the history holds no loss (train first, with logging_steps set).
    """
    import matplotlib.pyplot as plt

    train, evaluation = loss_points(log_history)
    if not train and not evaluation:
        raise ValueError("no loss in the log history: call trainer.train() first (and set logging_steps)")
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    if train:
        ax.plot(*zip(*train), label="training loss")
    if evaluation:
        ax.plot(*zip(*evaluation), "o-", label="validation loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    plt.close(fig)
    return fig


def confusion_counts(references: Sequence[int], predictions: Sequence[int], n_labels: int) -> list[list[int]]:
    """counts[true][predicted] for labels 0..n_labels-1."""
    if len(references) != len(predictions):
        raise ValueError(f"{len(references)} references but {len(predictions)} predictions")
    counts = [[0] * n_labels for _ in range(n_labels)]
    for truth, guess in zip(references, predictions):
        counts[int(truth)][int(guess)] += 1
    return counts


def confusion_matrix(references: Sequence[int], predictions: Sequence[int], label_names: Sequence[str]) -> Any:
    """A confusion matrix heat map with counts; returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    counts = confusion_counts(references, predictions, len(label_names))
    fig, ax = plt.subplots(figsize=(3.6, 3.2), dpi=DPI)
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(label_names)), label_names)
    ax.set_yticks(range(len(label_names)), label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = max(max(row) for row in counts) or 1
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", color="white" if value > top / 2 else "black")
    fig.tight_layout()
    plt.close(fig)
    return fig

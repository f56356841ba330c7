"""Small Trainer plumbing (notebook 05 and the benchmark).

``StopAtStep`` simulates an interruption (a closed laptop lid, a preempted Colab session)
at a chosen step, after a checkpoint is saved, so the notebook can show
``trainer.train(resume_from_checkpoint=True)`` picking up where it stopped.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback


class StopAtStep(TrainerCallback):
    """Save a checkpoint and stop training when ``global_step`` reaches ``step``."""

    def __init__(self, step: int) -> None:
        if not isinstance(step, int) or step <= 0:
            raise ValueError(f"StopAtStep needs a positive step number, not {step!r}")
        self.step = step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if state.global_step >= self.step:
            control.should_save = True
            control.should_training_stop = True
        return control


def optimizer_steps(n_rows: int, batch_size: int, epochs: float, devices: int = 1) -> int:
    """How many optimizer steps Trainer takes: ceil(rows / (batch size x devices)) per epoch."""
    if n_rows <= 0 or batch_size <= 0 or epochs <= 0 or devices <= 0:
        raise ValueError("rows, batch size, epochs and devices must all be positive")
    return math.ceil(math.ceil(n_rows / (batch_size * devices)) * epochs)

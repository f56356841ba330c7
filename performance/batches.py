"""Keeping the effective batch size the same on 1, 2 or 100 processes (notebook 06, scripts/train_sentiment.py).

With data parallelism (DDP), every process takes its own batch, and the gradients of all processes are
averaged before each optimizer step, so one step sees

    effective batch = processes x per-device batch x gradient-accumulation steps.

The learning rate was tuned for one effective batch size; keep it when you change the number of
processes, and the recipe behaves the same. ``split_batch`` picks the per-device batch and the
accumulation steps for a world size, and says how.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class BatchPlan:
    """How an effective batch is split: ``world_size`` x ``per_device`` x ``accumulation``."""

    effective: int
    world_size: int
    per_device: int
    accumulation: int

    def __str__(self) -> str:
        return (
            f"effective batch {self.effective} = {self.world_size} process(es) x {self.per_device} per device"
            f" x {self.accumulation} accumulation step(s)"
        )


def split_batch(effective: int, world_size: int, max_per_device: int | None = None) -> BatchPlan:
    """Split ``effective`` examples per optimizer step over ``world_size`` processes.

    Each process takes ``effective / world_size`` examples per step, in ``accumulation`` micro-batches
    of at most ``max_per_device`` (a memory limit). ValueError, saying what to change, when the numbers
    do not divide evenly.
    """
    for name, value in (("effective batch size", effective), ("world size", world_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"the {name} must be a positive whole number, not {value!r}")
    if max_per_device is not None and (not isinstance(max_per_device, int) or max_per_device <= 0):
        raise ValueError(f"the per-device limit must be a positive whole number, not {max_per_device!r}")
    if effective % world_size:
        raise ValueError(
            f"an effective batch of {effective} cannot be split evenly over {world_size} processes: "
            f"use a batch size that is a multiple of {world_size}, or another number of processes"
        )
    share = effective // world_size
    limit = min(share, max_per_device or share)
    per_device = next(size for size in range(limit, 0, -1) if share % size == 0)
    return BatchPlan(effective, world_size, per_device, share // per_device)


def world() -> tuple[int, int]:
    """(this process's rank, number of processes), as torchrun / accelerate launch set them (0, 1 alone)."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def process_device(device: str, world_size: int) -> tuple[str, str]:
    """The device each of ``world_size`` processes trains on, given the one this machine offers, and why.

    Several processes on Apple's MPS GPU cannot form a DDP group: Accelerate has no distributed backend for it, so
    each process would train alone, on all the data, with no gradient averaging, and every one would act as rank 0.
    Several processes there train on the CPU instead (gloo). One process, a CUDA GPU or a CPU: ``device``, as is.
    """
    if device not in ("cuda", "mps", "cpu"):
        raise ValueError(f"unknown device {device!r}: expected 'cuda', 'mps' or 'cpu'")
    if world_size > 1 and device == "mps":
        return "cpu", "several processes cannot share the Apple GPU (no DDP backend for MPS): they train on the CPU"
    return device, f"{device}, as helpers.setup() picked it"

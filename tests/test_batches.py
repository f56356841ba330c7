"""Splitting the effective batch over processes, and the training script's argument errors (fast: no training)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from performance.batches import process_device, split_batch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "train_sentiment.py"


@pytest.mark.parametrize(
    "effective, world, limit, per_device, accumulation",
    [(32, 1, None, 32, 1), (32, 2, None, 16, 1), (32, 4, 4, 4, 2), (32, 2, 12, 8, 2), (8, 8, None, 1, 1)],
)
def test_split_keeps_the_effective_batch(effective, world, limit, per_device, accumulation):
    plan = split_batch(effective, world, limit)
    assert (plan.per_device, plan.accumulation) == (per_device, accumulation)
    assert plan.world_size * plan.per_device * plan.accumulation == effective
    assert str(effective) in str(plan) and f"{per_device} per device" in str(plan)


@pytest.mark.parametrize("args, message", [((32, 3), "multiple of 3"), ((0, 2), "positive"), ((32, 0), "positive"),
                                           ((32, 2, 0), "per-device limit"), ((True, 1), "positive")])
def test_split_refuses_what_cannot_work(args, message):
    with pytest.raises(ValueError, match=message):
        split_batch(*args)


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_help_lists_every_argument():
    out = run_script("--help").stdout
    for option in ("--model", "--dataset", "--profile", "--epochs", "--max-steps", "--batch-size", "--output-dir", "--resume"):
        assert option in out


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--profile", "turbo"], {}, "invalid choice: 'turbo'"),
        (["--dataset", "/no/such/folder"], {}, "no such folder"),
        (["--batch-size", "0"], {}, "must be a positive whole number"),
        (["--batch-size", "32"], {"WORLD_SIZE": "3", "RANK": "0"}, "cannot be split evenly over 3 processes"),
        (["--max-steps", "-1"], {}, "--max-steps must be positive"),
    ],
)
def test_bad_arguments_fail_before_anything_starts(args, env, message, tmp_path):
    result = run_script(*args, "--output-dir", str(tmp_path / "out"), env=env)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_resume_without_a_checkpoint_says_so(tmp_path):
    result = run_script("--resume", "--output-dir", str(tmp_path))
    assert result.returncode == 2 and "no complete checkpoint" in result.stderr


@pytest.mark.parametrize(
    "device, world_size, expected",
    [("mps", 2, "cpu"), ("mps", 1, "mps"), ("cuda", 4, "cuda"), ("cpu", 2, "cpu"), ("cuda", 1, "cuda")],
)
def test_process_device_moves_only_several_mps_processes_to_the_cpu(device, world_size, expected):
    chosen, why = process_device(device, world_size)
    assert chosen == expected
    assert ("no DDP backend for MPS" in why) == (chosen != device)


def test_process_device_refuses_an_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        process_device("tpu", 2)

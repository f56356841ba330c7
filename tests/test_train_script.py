"""scripts/train_sentiment.py under torchrun and accelerate launch: two real processes on this CPU (gloo).

Slow-ish (about a minute and a half) and needs the built kit: the model and data come from it offline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.device import bf16_units, pick_device

pytestmark = pytest.mark.needs_kit

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "train_sentiment.py"
# --standalone: a free port for each run, so that runs in parallel test workers never meet on torchrun's 29500
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
SLICE = ["--train-rows", "768", "--eval-rows", "200", "--batch-size", "32"]


def run(command: list[str], timeout: float = 400, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env} if env else None
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=environment)


def free_port() -> int:
    """A loopback port free right now (accelerate launch has no "any free port" of its own; its default 29500
    may be in use by a run in another test worker)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[train]")]


# On PYTHONPATH as sitecustomize: as each training process exits, it says whether its process group is still alive.
# A gloo group alive at interpreter shutdown can abort a process that finished its work (pytorch/pytorch#190489).
EXIT_PROBE = """import atexit, os, sys


def _report():
    if "RANK" in os.environ and "torch.distributed" in sys.modules:  # a training process, not the launcher
        import torch.distributed as dist

        sys.stdout.write(f"[exit] rank {os.environ['RANK']}: process group alive {dist.is_initialized()}\\n")
        sys.stdout.flush()


atexit.register(_report)
"""


def _workers(launcher_pid: int) -> dict[int, int]:
    """{rank: pid} of the training processes below the launcher (read from /proc)."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"train_sentiment.py" in cmdline and "TORCHELASTIC_RUN_ID".encode() in b"\0".join(environ):
            values = dict(item.split(b"=", 1) for item in environ if b"=" in item)
            if values.get(b"RANK") is not None and int(entry.name) != launcher_pid:
                found[int(values[b"RANK"])] = int(entry.name)
    return found


def test_a_killed_process_fails_the_run_and_resume_trains_one_model_that_beats_chance(tmp_path):
    """One torchrun run on two processes, killed mid-run, then resumed to the end: the failure is reported, the
    resumed run trains with the profile's recipe, both processes leave their process group, rank 0 alone writes
    one model, and that model beats chance on held-out rows. (A clean run from scratch is lesson 06's `!torchrun`
    cell, which nbval compares with its stored output.)"""
    out = tmp_path / "run"
    args = [*TORCHRUN, str(SCRIPT), *SLICE, "--max-steps", "30", "--save-steps", "5", "--output-dir", str(out)]
    launcher = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / "checkpoint-10").is_dir():
            assert launcher.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "no checkpoint after 300 s"
            time.sleep(0.5)
        workers = _workers(launcher.pid)
        assert set(workers) == {0, 1}, workers
        os.kill(workers[1], signal.SIGKILL)  # one process dies mid-run
        stdout, stderr = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode != 0
    assert "train_sentiment.py FAILED" in stderr and "Signal 9 (SIGKILL)" in stderr, stderr[-2000:]
    assert not (out / "metrics.json").exists()

    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(EXIT_PROBE)
    path = os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")]))
    resumed = run([*args, "--resume"], env={"PYTHONPATH": path})
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    exits = sorted(line for line in resumed.stdout.splitlines() if line.startswith("[exit]"))
    assert exits == [f"[exit] rank {rank}: process group alive False" for rank in (0, 1)], exits
    lines = train_lines(resumed.stdout)
    assert any("rank 0/2: 24 batches of 16 rows" in line for line in lines), lines
    assert any("rank 1/2: 24 batches of 16 rows" in line for line in lines), lines
    assert any("parallel mode distributed, backend gloo" in line for line in lines), lines
    assert sum("optimizer steps" in line for line in lines) == 1, "only rank 0 reports the results"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["per_device_batch"] == 16, metrics
    assert metrics["resumed_from"] in ("checkpoint-5", "checkpoint-10") and metrics["optimizer_steps"] == 30
    # the time per step counts only the steps this run made, not those the checkpoint already had
    assert metrics["steps_this_run"] == 30 - int(metrics["resumed_from"].split("-")[1]), metrics
    # (dividing by all 30 steps gave at most 25/30 of the run's time here; loading the checkpoint is the rest)
    assert metrics["seconds_per_step"] * metrics["steps_this_run"] >= 0.75 * metrics["train_seconds"], metrics
    models = [p for p in out.rglob("model.safetensors") if not any(part.startswith("checkpoint-") for part in p.parts)]
    assert models == [out / "model" / "model.safetensors"], models  # exactly one model, written once
    # the run trained with the profile's recipe: Trainer saves its arguments with each checkpoint
    import torch

    from performance.profiles import CPU_FAST

    saved = torch.load(out / "checkpoint-30" / "training_args.bin", weights_only=False)
    assert (saved.learning_rate, saved.warmup_steps, saved.train_sampling_strategy) == (
        CPU_FAST.learning_rate, CPU_FAST.warmup, CPU_FAST.sampling,
    ), saved
    assert saved.use_cpu and saved.ddp_backend == "gloo", (saved.use_cpu, saved.ddp_backend)

    # the saved model loads on its own and beats chance on held-out data it never saw (the test split)
    check = run([sys.executable, "-c", f"""
import helpers
helpers.setup(quiet=True)
from datasets import load_dataset
from transformers import pipeline
test = load_dataset(helpers.resolve("cornell-movie-review-data/rotten_tomatoes", quiet=True))["test"].shuffle(seed=0).select(range(200))
classifier = pipeline("sentiment-analysis", model={str(out / "model")!r})
names = classifier.model.config.label2id
right = sum(names[r["label"]] == y for r, y in zip(classifier(list(test["text"]), batch_size=32), test["label"]))
print(right / len(test))
"""])
    assert check.returncode == 0, check.stderr[-2000:]
    accuracy = float(check.stdout.strip().splitlines()[-1])
    assert accuracy > 0.6, accuracy  # chance is 0.5; P(>0.6 | chance) on 200 rows is below 0.3%


@pytest.mark.skipif(pick_device()[0] != "cpu", reason="checks the CPU precision rule; on a GPU the script uses the GPU's")
def test_accelerate_launch_starts_two_processes_on_a_cpu(tmp_path):
    """`accelerate launch --cpu --num_processes 2` starts ONE process (its simple launcher); --multi_gpu uses
    torchrun underneath, which on a machine without GPUs runs the processes on the CPU with gloo.

    With QUICKTOUR_CPU_BF16=1 the script trains in bfloat16 on a CPU, as the profile's ``training_precision``
    says (not only on a GPU): with the CPU's bfloat16 units, or emulated where it has none."""
    result = run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                  "--main_process_port", str(free_port()), str(SCRIPT), *SLICE, "--max-steps", "4", "--output-dir", str(tmp_path / "run")],
                 env={"QUICKTOUR_CPU_BF16": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = train_lines(result.stdout)
    assert {"rank 0/2", "rank 1/2"} <= {line.split(":")[0].removeprefix("[train] ") for line in lines}, lines
    units = bf16_units() or "no bfloat16 units: emulated"
    precision = [line for line in lines if line.startswith("[train] mixed precision: ")]
    expected = f"bf16: QUICKTOUR_CPU_BF16=1 turns it on ({units})"
    assert len(precision) == 1 and precision[0].startswith(f"[train] mixed precision: {expected}"), lines
    # and what Trainer's Accelerator actually trained with, as rank 0 recorded it
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["mixed_precision"] == "bf16", metrics


def test_bad_arguments_stop_every_process_before_a_process_group(tmp_path):
    result = run([*TORCHRUN, str(SCRIPT), "--batch-size", "33", "--output-dir", str(tmp_path / "run")], timeout=120)
    assert result.returncode != 0
    # Each process checks its arguments before it joins the process group, so none waits there for the other.
    # torchrun stops the others as soon as one exits: on a busy machine the slower one may be stopped before it got
    # as far as its own check, so one message or two.
    assert result.stderr.count("cannot be split evenly over 2 processes") in (1, 2), result.stderr[-2000:]
    assert f'File "{SCRIPT}' not in result.stderr, "the script itself must not crash with a traceback"
    assert "exitcode  : 2" in result.stderr
    assert not (tmp_path / "run").exists()


def _script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_sentiment", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("extra, says", [
    (["--epochs", "nan"], "--epochs must be a positive number"),
    (["--epochs", "inf"], "--epochs must be a positive number"),
    (["--seed", "-1"], "--seed must be a whole number from 0"),
    (["--model", "./missing"], "--model ./missing: no such folder"),
    (["--output-dir", "{file}"], "is a file: give a folder"),
    (["--resume"], "--resume: no complete checkpoint"),
])
def test_bad_arguments_get_one_line(tmp_path, capsys, extra, says):
    (tmp_path / "a-file").write_text("x")
    argv = [part.format(file=tmp_path / "a-file") for part in extra]
    if "--output-dir" not in argv:
        argv += ["--output-dir", str(tmp_path / "run")]
    assert _script().main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("train_sentiment.py: error: ") and says in err and err.count("\n") == 1, err


def test_a_damaged_newest_checkpoint_is_skipped_for_an_older_whole_one(tmp_path):
    import torch
    from safetensors.torch import save_file

    script = _script()
    for step in (5, 10):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
        save_file({"w": torch.zeros(64)}, str(folder / "model.safetensors"))
    assert script.last_complete_checkpoint(tmp_path).name == "checkpoint-10"
    weights = tmp_path / "checkpoint-10" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])  # cut short, as by a kill while saving
    assert script.last_complete_checkpoint(tmp_path).name == "checkpoint-5"
    (tmp_path / "checkpoint-5" / "trainer_state.json").write_text("{garbage")
    assert script.last_complete_checkpoint(tmp_path) is None
    (tmp_path / "checkpoint-5" / "trainer_state.json").write_text(json.dumps({"global_step": 5}))
    assert script.checkpoint_step(tmp_path / "checkpoint-5") == 5

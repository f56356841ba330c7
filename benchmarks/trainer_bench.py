"""Benchmark: notebook 05's CPU profile against the quicktour's recipe, on this machine, in one run.

(a) The ``cpu-fast`` profile, exactly as the offline kit trains it (MiniLM encoder, kit
    rotten_tomatoes train split): measured training time and held-out test accuracy.
(b) The quicktour's recipe (lr 2e-5, batch size 8, 2 epochs, full-length sentences) with a
    DistilBERT-size model (``DistilBertConfig()`` defaults, random weights: only the time matters)
    on the same sentences: time per example over a number of steps, extrapolated to 2 epochs
    over the 8,530 rows of the Hub's rotten_tomatoes train split.

Run with ``make bench`` (offline; about 5 minutes on 2 CPU cores). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

os.environ.update(OFFLINE_QUIET_ENVIRONMENT)  # offline, before transformers is imported

HUB_TRAIN_ROWS = 8530  # rotten_tomatoes train split on the Hub


def cpu_profile() -> dict:
    """Train the cpu-fast profile once; returns the kit builder's facts (time, accuracy)."""
    from helpers.kit.parts import build_sentiment

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        out.mkdir()
        return build_sentiment(out, lambda message: print(f"[bench a] {message}", flush=True))


def quicktour_recipe(steps: int, warmup: int) -> dict:
    """Time the quicktour recipe on a DistilBERT-size model; returns seconds per example and the total."""
    from datasets import load_dataset
    from transformers import (
        AutoTokenizer,
        DataCollatorWithPadding,
        DistilBertConfig,
        DistilBertForSequenceClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
        set_seed,
    )

    from helpers.kit.paths import component_dir
    from helpers.profiles import QUICKTOUR

    set_seed(42)
    tokenizer = AutoTokenizer.from_pretrained(str(component_dir("encoder")))  # the same uncased vocabulary
    data = load_dataset(str(component_dir("rotten_tomatoes")))["train"]
    data = data.map(lambda b: tokenizer(b["text"], truncation=True), batched=True)
    model = DistilBertForSequenceClassification(DistilBertConfig(num_labels=2))

    marks: dict[int, float] = {}

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            marks[state.global_step] = time.perf_counter()

    args = TrainingArguments(
        output_dir=tempfile.mkdtemp(),
        learning_rate=QUICKTOUR.learning_rate,
        per_device_train_batch_size=QUICKTOUR.batch_size,
        max_steps=warmup + steps,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        logging_steps=10_000,
        seed=42,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=data,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        callbacks=[Clock()],
    )
    print(f"[bench b] timing {steps} steps (after {warmup} warm-up steps) of the quicktour recipe", flush=True)
    trainer.train()
    seconds = marks[warmup + steps] - marks[warmup]
    per_example = seconds / (steps * QUICKTOUR.batch_size)
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "per_example_s": per_example,
        "total_s": per_example * QUICKTOUR.epochs * HUB_TRAIN_ROWS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps of the quicktour recipe")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    args = parser.parse_args(argv)

    import torch

    a = cpu_profile()
    b = quicktour_recipe(args.steps, args.warmup)
    ratio = b["total_s"] / a["train_seconds"]
    print()
    print(f"Trainer benchmark on {os.cpu_count()} CPU cores, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print()
    print("| run | model | training time | held-out test accuracy |")
    print("|---|---|---|---|")
    print(
        f"| cpu-fast profile (measured: 1 epoch over {a['train_rows']:,} rows) | MiniLM-L6, 22.7M | "
        f"{a['train_seconds']:.0f} s | {a['test_accuracy']:.3f} |"
    )
    print(
        f"| quicktour recipe (2 epochs over {HUB_TRAIN_ROWS:,} rows, extrapolated from {args.steps} steps "
        f"at {b['per_example_s'] * 1000:.0f} ms/example) | DistilBERT-size, {b['parameters'] / 1e6:.1f}M | "
        f"{b['total_s']:.0f} s ({b['total_s'] / 60:.1f} min) | not trained (random weights; time only) |"
    )
    print()
    print(f"speed-up of the cpu-fast profile: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fine-tune a sentiment classifier with Trainer: notebook 05's recipe as a script that scales out.

The same file runs unchanged on one CPU, one GPU, several GPUs or several machines:

    python scripts/train_sentiment.py --max-steps 40                                       # one process
    torchrun --standalone --nproc_per_node=2 scripts/train_sentiment.py --max-steps 40     # 2 processes (DDP)
    accelerate launch --multi_gpu --num_processes 2 scripts/train_sentiment.py ...         # the same, via Accelerate
    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-id=sentiment-1 --rdzv-backend=c10d \\
        --rdzv-endpoint=HOST:29400 scripts/train_sentiment.py ...                     # 2 machines x 4 GPUs, same command

Processes talk through PyTorch distributed: NCCL on GPUs, gloo on CPUs. The recipe (learning rate,
batch size, epochs, max length, warm-up, length-grouped batches, precision) is a ``performance.profiles`` profile,
the one notebook 05 trains with (the offline kit uses the same one in float32); notebook 05's first step, the
new head trained alone, is left out, to keep the script about scaling out. ``--batch-size`` is the effective batch:
each of the N processes takes 1/N of it (with gradient accumulation when ``--max-per-device`` is
smaller), so the recipe means the same at every world size. Only rank 0 prints (every rank's share, then the
results) and writes the model and ``metrics.json``; ``--resume`` continues from the last checkpoint in the output
folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

from performance.profiles import PROFILES, TrainingProfile, training_precision
from performance.batches import BatchPlan, process_device, split_batch, world

LABELS = {0: "NEGATIVE", 1: "POSITIVE"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="train_sentiment.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--model", default="distilbert/distilbert-base-uncased", help="Hub id (through helpers.resolve) or a model folder")
    parser.add_argument("--dataset", default="cornell-movie-review-data/rotten_tomatoes", help="Hub id (through helpers.resolve) or a dataset folder with train/validation splits")
    parser.add_argument("--profile", default="cpu-fast", choices=sorted(PROFILES), help="the training recipe (helpers/profiles.py)")
    parser.add_argument("--epochs", type=float, default=None, help="epochs (default: the profile's)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many optimizer steps (overrides --epochs)")
    parser.add_argument("--batch-size", type=int, default=None, help="effective batch size, summed over all processes (default: the profile's)")
    parser.add_argument("--max-per-device", type=int, default=None, help="largest batch one process may take; the rest is gradient accumulation")
    parser.add_argument("--train-rows", type=int, default=None, help="train on the first N rows of the shuffled train split (a slice)")
    parser.add_argument("--eval-rows", type=int, default=None, help="evaluate on N rows of the validation split, drawn at random with --seed")
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/train_sentiment"), help="checkpoints, model/ and metrics.json")
    parser.add_argument("--save-steps", type=int, default=10, help="write a checkpoint every N optimizer steps")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output-dir")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace, world_size: int) -> BatchPlan:
    """Every argument error, before any model, data set or process group is touched."""
    profile = PROFILES[args.profile]
    if args.batch_size is None:
        args.batch_size = profile.batch_size
    if args.epochs is None:
        args.epochs = float(profile.epochs)
    for name in ("max_steps", "train_rows", "eval_rows", "save_steps"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, not {value}")
    if not math.isfinite(args.epochs) or args.epochs <= 0:
        raise ValueError(f"--epochs must be a positive number, not {args.epochs}")
    if not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be a whole number from 0 to {2**32 - 1}, not {args.seed}")
    for option, value, what in (("--model", args.model, "a model folder"),
                                ("--dataset", args.dataset, "a folder with a train split")):
        if (Path(value).is_absolute() or value.startswith(".")) and not Path(value).is_dir():
            raise ValueError(f"{option} {value}: no such folder (give {what}, or a Hub id)")
    if args.output_dir.exists() and not args.output_dir.is_dir():
        raise ValueError(f"--output-dir {args.output_dir} is a file: give a folder for checkpoints and the model")
    if args.resume and last_complete_checkpoint(args.output_dir) is None:
        raise ValueError(f"--resume: no complete checkpoint in {args.output_dir} (a killed save leaves a damaged one, "
                         "which is skipped); run once without --resume")
    return split_batch(args.batch_size, world_size, args.max_per_device)


def checkpoint_step(checkpoint: Path) -> int | None:
    """The optimizer step a checkpoint was saved at, from its ``trainer_state.json``, if the checkpoint is whole:
    that file readable JSON with a ``global_step``, and every ``*.safetensors`` file complete (its header and the
    data it describes), else None."""
    from safetensors import safe_open

    try:
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        step = state["global_step"]
        for weights in checkpoint.glob("*.safetensors"):
            with safe_open(str(weights), framework="pt") as handle:  # a cut file fails on its header's offsets
                handle.keys()
    except Exception:  # noqa: BLE001 (OSError, bad JSON, a missing key, and safetensors' own errors)
        return None
    return step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else None


def last_complete_checkpoint(output_dir: Path) -> Path | None:
    """The newest ``checkpoint-N`` that was written to the end (``checkpoint_step`` can read it).

    A process killed while saving leaves a half-written checkpoint folder (no ``trainer_state.json``, or a cut
    ``model.safetensors``); Trainer's own ``resume_from_checkpoint=True`` would pick it and fail, so we skip it.
    """
    numbered = sorted((p for p in output_dir.glob("checkpoint-*") if p.name[11:].isdigit()),
                      key=lambda p: int(p.name[11:]), reverse=True)
    return next((p for p in numbered if checkpoint_step(p) is not None), None)  # newest first: reads only what it must


def agreed_precision(profile: TrainingProfile, device: str, rank: int, world_size: int) -> tuple[str | None, str]:
    """``training_precision(profile, device)``, decided once, on rank 0, and shared with every process.

    On a CPU the decision measures bfloat16 against float32 (``helpers.device.cpu_bf16``). Measured by every
    process at once, a CPU near the threshold (or nodes with different CPUs) could split the ranks between the
    two precisions. So rank 0 measures and the others take its answer. The gloo process group made for that
    is the one Accelerate (inside ``TrainingArguments``) then uses.
    """
    if world_size == 1 or device != "cpu":
        return training_precision(profile, device)  # one process, or a GPU: nothing measured, nothing to share
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    decision = [training_precision(profile, device) if rank == 0 else None]
    dist.broadcast_object_list(decision, src=0)
    return decision[0]


def say(text: str, rank: int) -> None:
    """Print a ``[train]`` line, from rank 0 only."""
    if rank == 0:
        sys.stdout.write(f"[train] {text}\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    rank, world_size = world()
    args = parse_args(argv)
    try:
        plan = check_args(args, world_size)
    except ValueError as exc:
        print(f"train_sentiment.py: error: {exc}", file=sys.stderr)
        return 2

    if rank != 0:  # only rank 0 speaks: the other processes' warnings would repeat its own, interleaved
        warnings.filterwarnings("ignore")
        os.environ["TRANSFORMERS_VERBOSITY"] = "error"
        os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"

    import helpers

    session = helpers.setup(seed=args.seed, quiet=rank != 0)  # before transformers: settles the offline switch
    model_name = args.model if Path(args.model).is_dir() else helpers.resolve(args.model, quiet=rank != 0)
    data_name = args.dataset if Path(args.dataset).is_dir() else helpers.resolve(args.dataset, quiet=rank != 0)

    import numpy as np
    from accelerate.utils import gather_object
    from datasets import load_dataset
    from transformers import (
        AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments, set_seed,
    )  # fmt: skip

    profile = PROFILES[args.profile]
    data = load_dataset(data_name)
    train = data["train"].shuffle(seed=args.seed)
    if args.train_rows:
        train = train.select(range(min(args.train_rows, len(train))))
    evaluation = data["validation"]
    if args.eval_rows:  # drawn at random: the Hub's rotten_tomatoes lists a split's positive sentences first
        evaluation = evaluation.shuffle(seed=args.seed).select(range(min(args.eval_rows, len(evaluation))))
    tokenizer = AutoTokenizer.from_pretrained(model_name)

    def tokenize(batch: dict) -> dict:
        return tokenizer(batch["text"], truncation=True, max_length=profile.max_length)

    train, evaluation = (split.map(tokenize, batched=True) for split in (train, evaluation))
    set_seed(args.seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_name, num_labels=len(LABELS), id2label=LABELS, label2id={v: k for k, v in LABELS.items()}, dtype="auto"
    )
    device, device_why = process_device(session.device, world_size)
    cuda = device == "cuda"
    # The profile's precision for this device, as notebook 05 decides it: on a CUDA GPU bf16 or fp16 autocast; on
    # a CPU bfloat16 only where the profile asks for it and it measures faster (helpers.device.cpu_bf16).
    # QUICKTOUR_CPU_BF16=0 keeps a CPU run in float32. (The kit trains in float32 everywhere: KIT_PROFILE.)
    precision, precision_why = agreed_precision(profile, device, rank, world_size)
    training_args = TrainingArguments(
        output_dir=str(args.output_dir),
        learning_rate=profile.learning_rate,
        per_device_train_batch_size=plan.per_device,
        gradient_accumulation_steps=plan.accumulation,
        per_device_eval_batch_size=64,
        num_train_epochs=args.epochs,
        warmup_steps=profile.warmup,  # a float below 1: a fraction of the steps
        train_sampling_strategy=profile.sampling,
        max_steps=args.max_steps or -1,
        save_strategy="steps",
        save_steps=args.save_steps,
        logging_steps=args.save_steps,
        # On a CPU, use_cpu=True is what makes Accelerate treat several processes as DDP (MULTI_CPU) over gloo;
        # without it they would each train alone, never averaging their gradients.
        use_cpu=device == "cpu",
        ddp_backend="gloo" if device == "cpu" and world_size > 1 else None,
        ddp_find_unused_parameters=False,  # every weight takes part in the loss: no extra pass to look for unused ones
        # A classifier's loss is a mean over its batch, and DDP averages the processes' gradients: together the
        # mean over the effective batch, as in one process. (Token averaging across devices is for language
        # models; here it would scale the loss by the number of processes.)
        average_tokens_across_devices=False,
        dataloader_pin_memory=cuda,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        report_to="none",
        disable_tqdm=True,
        seed=args.seed,
    )

    def compute_metrics(prediction: object) -> dict[str, float]:
        predicted = np.argmax(prediction.predictions, axis=-1)
        return {"accuracy": float(np.mean(predicted == prediction.label_ids))}

    trainer = Trainer(
        model=model, args=training_args, train_dataset=train, eval_dataset=evaluation,
        processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics,
    )  # fmt: skip
    backend = "none (one process)" if world_size == 1 else training_args.ddp_backend or "nccl"
    if device != session.device:
        say(f"device: {device_why}", rank)
    say(f"mixed precision: {precision or 'off (float32)'}: {precision_why}", rank)
    say(f"{world_size} process(es), parallel mode {training_args.parallel_mode.value}, backend {backend}; {plan}", rank)
    batches = len(trainer.get_train_dataloader())
    share = f"rank {rank}/{world_size}: {batches} batches of {plan.per_device} rows per epoch, its share of {len(train)} " \
            "training rows"
    for line in gather_object([share]) if world_size > 1 else [share]:  # every rank's line, printed by rank 0 in order
        say(line, rank)
    resume = last_complete_checkpoint(args.output_dir) if args.resume else None
    start_step = (checkpoint_step(resume) or 0) if resume else 0
    if resume:
        say(f"resuming from {resume.name}", rank)
    start = time.monotonic()
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.monotonic() - start
    metrics = trainer.evaluate()
    steps_done = trainer.state.global_step
    steps_run = steps_done - start_step  # this run's own: after a resume, not the steps the checkpoint had
    if trainer.is_world_process_zero():
        trainer.save_model(str(args.output_dir / "model"))
        summary = {
            "world_size": world_size, "per_device_batch": plan.per_device, "accumulation": plan.accumulation,
            "effective_batch": plan.effective, "optimizer_steps": steps_done, "resumed_from": resume.name if resume else None,
            "steps_this_run": steps_run,
            "train_seconds": round(seconds, 1), "seconds_per_step": round(result.metrics["train_runtime"] / max(1, steps_run), 3),
            "eval_accuracy": round(metrics["eval_accuracy"], 4), "eval_rows": len(evaluation), "model": model_name,
            "mixed_precision": trainer.accelerator.mixed_precision,  # what Trainer trained with: "no", "bf16", "fp16"
        }  # fmt: skip
        (args.output_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
        say(f"{steps_done} optimizer steps{' (resumed)' if resume else ''}, "
            f"{summary['seconds_per_step']} s per step", rank)  # fmt: skip
        say(f"validation accuracy {summary['eval_accuracy']:.3f} on {len(evaluation)} rows; "
            f"model saved to {args.output_dir / 'model'}", rank)  # fmt: skip
    # Every process waits for rank 0's save, then leaves the process group before Python exits. A gloo group
    # still alive when the interpreter shuts down can abort a process that had finished its work (SIGABRT,
    # "terminate called without an active exception"; pytorch/pytorch#190489): seen here once, on rank 1 of a
    # two-process run whose rank 0 was still saving. Without a process group (a plain `python` run) both do nothing.
    trainer.accelerator.wait_for_everyone()
    trainer.accelerator.end_training()
    return 0


if __name__ == "__main__":
    sys.exit(main())

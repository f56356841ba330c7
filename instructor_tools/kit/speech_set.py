"""The kit's speech set: short English requests spoken by espeak-ng (used by notebook 01 offline).

Online, notebook 01 transcribes ``hf-internal-testing/librispeech_asr_dummy`` (config ``clean``,
split ``validation``), the parquet speech set Transformers' own v5 CI loads. Offline, this set
stands in for it with the same columns (``file``, ``audio``, ``text``, ``speaker_id``,
``chapter_id``, ``id``) and the same config and split names, so the notebook's code is the same
in both modes. The clips keep espeak's native 22,050 Hz (LibriSpeech is 16 kHz), and the text is
upper case without punctuation, as in LibriSpeech.

Changing anything here changes the kit: bump ``RECIPE_VERSION`` in ``helpers/offline_kit.py``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.audio import NATIVE_RATE, SpeechSynthesisError, synthesize

CONFIG = "clean"  # as hf-internal-testing/librispeech_asr_dummy
SPLIT = "validation"

# (intent, transcript): e-banking requests in the style of PolyAI/minds14, the quicktour's original
# speech set, in American spelling and without figures, so a correct transcription matches word for word.
UTTERANCES: tuple[tuple[str, str], ...] = (
    ("balance", "I would like to check the balance of my savings account."),
    ("balance", "How much money do I have in my current account?"),
    ("card_issues", "My card was declined at the shop this morning."),
    ("card_issues", "I think my debit card has been stolen."),
    ("freeze", "Please freeze my credit card right away."),
    ("freeze", "Can you block my card until I find my wallet?"),
    ("address", "I moved house and need to change my address."),
    ("address", "How do I update the address on my account?"),
    ("app_error", "The mobile app keeps crashing when I log in."),
    ("app_error", "I get an error message every time I open the app."),
    ("atm_limit", "What is the daily limit for cash withdrawals?"),
    ("atm_limit", "Can I take out more cash than usual today?"),
    ("direct_debit", "I want to cancel a direct debit."),
    ("direct_debit", "How can I set up a new direct debit for my rent?"),
    ("joint_account", "My partner and I would like to open a joint account."),
    ("joint_account", "Can I add my wife to my account?"),
    ("latest_transactions", "Show me the last five payments on my account."),
    ("latest_transactions", "I do not recognize a payment from yesterday."),
    ("pay_bill", "I need to pay my electricity bill."),
    ("pay_bill", "Can you help me pay a bill online?"),
    ("abroad", "I am going to Spain next week, will my card work there?"),
    ("abroad", "Do you charge a fee for using my card abroad?"),
    ("business_loan", "I would like to apply for a loan for my small business."),
    ("cash_deposit", "Where can I deposit cash into my account?"),
)

# espeak-ng voices (language + variant) and speeds in words per minute, cycled over the utterances.
VOICES: tuple[str, ...] = ("en-us", "en-gb", "en-us+m3", "en-us+f2", "en-us+f3", "en-us+m7")
SPEEDS: tuple[int, ...] = (145, 160, 130, 170)


def librispeech_text(sentence: str) -> str:
    """``sentence`` as LibriSpeech writes its transcripts: upper case, no punctuation but apostrophes."""
    return " ".join(re.sub(r"[^A-Z' ]+", " ", sentence.upper()).split())


def build_speech_set(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Synthesize every utterance and save a dataset folder that ``load_dataset(path, CONFIG)`` opens.

    ``data/validation-*.parquet`` holds the audio as WAV bytes with ``Audio(decode=False)``, so
    loading needs no torchcodec (an ``audiofolder`` of WAV files cannot even be built without it);
    the notebook decodes and resamples. ``wav/`` keeps the same clips as WAV files with a
    ``metadata.csv`` (an audiofolder layout, for players and for datasets where torchcodec works).
    """
    import soundfile as sf
    from datasets import Audio, Dataset, Features, Value

    rows: dict[str, list[Any]] = {"file": [], "audio": [], "text": [], "speaker_id": [], "chapter_id": [], "id": []}
    seconds = 0.0
    wav_dir = out / "wav"  # the clips as plain files too, to open in any audio player
    wav_dir.mkdir()
    for i, (_intent, sentence) in enumerate(UTTERANCES):
        voice, speed = VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)]
        wav = synthesize(sentence, wav_dir / f"espeak_{i:02d}.wav", voice, speed)
        info = sf.info(str(wav))
        if info.samplerate != NATIVE_RATE:
            raise SpeechSynthesisError(f"espeak-ng wrote {info.samplerate} Hz, expected {NATIVE_RATE}")
        seconds += info.duration
        rows["file"].append(wav.name)
        rows["audio"].append({"bytes": wav.read_bytes(), "path": wav.name})
        rows["text"].append(librispeech_text(sentence))
        rows["speaker_id"].append(VOICES.index(voice))  # one "speaker" per espeak voice
        rows["chapter_id"].append(speed)  # words per minute
        rows["id"].append(f"espeak-{VOICES.index(voice)}-{speed}-{i:04d}")
    with open(wav_dir / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text", "voice", "words_per_minute"])
        for i, (name, text) in enumerate(zip(rows["file"], rows["text"])):
            writer.writerow([name, text, VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)]])
    # Build the audio column as a plain {bytes, path} struct, then cast it to Audio: encoding
    # examples through Audio directly would need torchcodec, casting Arrow storage does not.
    features = Features(
        {
            "file": Value("string"),
            "audio": {"bytes": Value("binary"), "path": Value("string")},
            "text": Value("string"),
            "speaker_id": Value("int64"),
            "chapter_id": Value("int64"),
            "id": Value("string"),
        }
    )
    data = Dataset.from_dict(rows, features=features)
    data = data.cast_column("audio", Audio(sampling_rate=NATIVE_RATE, decode=False))
    (out / "data").mkdir()
    data.to_parquet(str(out / "data" / f"{SPLIT}-00000-of-00001.parquet"))
    (out / "README.md").write_text(
        f"---\nconfigs:\n- config_name: {CONFIG}\n  default: true\n  data_files:\n"
        f"  - split: {SPLIT}\n    path: data/{SPLIT}-*\n---\n"
        "# speech-espeak (offline substitute)\n\n"
        f"{len(UTTERANCES)} English e-banking requests (in the style of PolyAI/minds14) synthesized by "
        f"quicktour-notebooks with espeak-ng ({len(VOICES)} voices, {min(SPEEDS)}-{max(SPEEDS)} words per "
        f"minute) at {NATIVE_RATE} Hz; {seconds:.0f} s of audio. Columns and config/split names as "
        "hf-internal-testing/librispeech_asr_dummy, which it replaces offline.\n\n"
        "`data/` holds them for `load_dataset(path, 'clean', split='validation')` (WAV bytes in Parquet); "
        "`wav/` holds the WAV files with `metadata.csv`.\n"
    )
    log(f"synthesized {len(UTTERANCES)} utterances, {seconds:.0f} s of audio at {NATIVE_RATE} Hz")
    return {"utterances": len(UTTERANCES), "audio_seconds": round(seconds, 1), "sampling_rate": NATIVE_RATE}

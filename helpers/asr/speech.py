"""A small MINDS-14-style speech set, synthesized with espeak-ng (the offline kit; notebook 01).

PolyAI/minds14 holds people asking an e-banking assistant for things ("I'd like to check my
balance"). Offline we synthesize similar requests with Debian's ``espeak-ng``, varying voices and
speeds, and keep espeak's native 22,050 Hz so the notebook must resample to the model's 16 kHz,
as the quicktour teaches.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

NATIVE_RATE = 22_050

# (intent, transcript): written in the style of MINDS-14's English banking requests, in American
# spelling and without figures, so a correct transcription matches the reference word for word.
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


class SpeechSynthesisError(RuntimeError):
    """espeak-ng is missing or failed."""


def espeak() -> str:
    """Path of the espeak-ng program, or SpeechSynthesisError saying how to install it."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise SpeechSynthesisError(
            "espeak-ng is not installed: run `make system-deps` (or: sudo apt-get install espeak-ng)"
        )
    return found


def synthesize(text: str, path: str | Path, voice: str = "en-us", words_per_minute: int = 150) -> Path:
    """Speak ``text`` into a 22,050 Hz mono WAV file at ``path`` with espeak-ng."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("synthesize() needs some text to speak")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [espeak(), "-v", voice, "-s", str(words_per_minute), "-w", str(path), text],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not path.is_file():
        raise SpeechSynthesisError(f"espeak-ng failed for voice {voice!r}: {result.stderr.strip()}")
    return path


def build_speech_set(out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Synthesize every utterance and save a dataset folder that ``load_dataset(path)`` opens.

    ``data/train-*.parquet`` holds the audio as WAV bytes with ``Audio(decode=False)``, so loading
    needs no torchcodec (an ``audiofolder`` of WAV files cannot even be built without it); the
    notebook decodes and resamples. ``wav/`` keeps the same clips as WAV files with a
    ``metadata.csv`` (an audiofolder layout, for players and for datasets where torchcodec works).
    """
    import soundfile as sf
    from datasets import Audio, ClassLabel, Dataset, Features, Value

    intents = sorted({intent for intent, _ in UTTERANCES})
    rows: dict[str, list[Any]] = {"audio": [], "transcription": [], "intent_class": [], "voice": [], "words_per_minute": []}
    seconds = 0.0
    wav_dir = out / "wav"  # the clips as plain files too, to open in any audio player
    wav_dir.mkdir()
    for i, (intent, text) in enumerate(UTTERANCES):
        voice, speed = VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)]
        wav = synthesize(text, wav_dir / f"minds_{i:02d}.wav", voice, speed)
        info = sf.info(str(wav))
        if info.samplerate != NATIVE_RATE:
            raise SpeechSynthesisError(f"espeak-ng wrote {info.samplerate} Hz, expected {NATIVE_RATE}")
        seconds += info.duration
        rows["audio"].append({"bytes": wav.read_bytes(), "path": wav.name})
        rows["transcription"].append(text)
        rows["intent_class"].append(intents.index(intent))
        rows["voice"].append(voice)
        rows["words_per_minute"].append(speed)
    with open(wav_dir / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "transcription", "intent", "voice", "words_per_minute"])
        for path, text, intent, voice, speed in zip(
            rows["audio"], rows["transcription"], rows["intent_class"], rows["voice"], rows["words_per_minute"]
        ):
            writer.writerow([path["path"], text, intents[intent], voice, speed])
    # Build the audio column as a plain {bytes, path} struct, then cast it to Audio: encoding
    # examples through Audio directly would need torchcodec, casting Arrow storage does not.
    features = Features(
        {
            "audio": {"bytes": Value("binary"), "path": Value("string")},
            "transcription": Value("string"),
            "intent_class": ClassLabel(names=intents),
            "voice": Value("string"),
            "words_per_minute": Value("int32"),
        }
    )
    data = Dataset.from_dict(rows, features=features)
    data = data.cast_column("audio", Audio(sampling_rate=NATIVE_RATE, decode=False))
    (out / "data").mkdir()
    data.to_parquet(str(out / "data" / "train-00000-of-00001.parquet"))
    (out / "README.md").write_text(
        "---\nconfigs:\n- config_name: en-US\n  default: true\n  data_files:\n  - split: train\n    path: data/train-*\n---\n"
        "# minds14-espeak (offline substitute)\n\n"
        f"{len(UTTERANCES)} English e-banking requests in the style of PolyAI/minds14, synthesized by "
        f"quicktour-notebooks with espeak-ng ({len(VOICES)} voices, {min(SPEEDS)}-{max(SPEEDS)} words per "
        f"minute) at {NATIVE_RATE} Hz; {seconds:.0f} s of audio. Intents: {', '.join(intents)}.\n\n"
        "`data/` holds them for `load_dataset(path)` (WAV bytes in Parquet); `wav/` holds the WAV files "
        "with `metadata.csv`.\n"
    )
    log(f"synthesized {len(UTTERANCES)} utterances, {seconds:.0f} s of audio at {NATIVE_RATE} Hz")
    return {"utterances": len(UTTERANCES), "audio_seconds": round(seconds, 1), "sampling_rate": NATIVE_RATE, "intents": intents}

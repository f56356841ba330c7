"""Audio at run time (notebook 01's speech half): decode, resample, synthesize.

🤗 Datasets 5 decodes ``Audio`` columns with torchcodec. The PyPI torchcodec wheel links CUDA
libraries (libnvrtc, libtorch_cuda), so with the CPU-only torch of a laptop install
``import torchcodec`` fails. These helpers do the same two steps by hand: decode WAV/FLAC bytes
(soundfile) and resample (scipy's polyphase filter). ``synthesize`` speaks a sentence with
Debian's espeak-ng, at its native 22,050 Hz, so there is always audio at another rate to resample.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from math import gcd
from pathlib import Path
from typing import Any

import numpy as np

NATIVE_RATE = 22_050  # espeak-ng's output rate


def torchcodec_works() -> bool:
    """Whether datasets can decode audio itself here (torchcodec imports)."""
    try:
        import torchcodec  # noqa: F401
    except Exception:  # noqa: BLE001 (ImportError, or an OSError/RuntimeError from missing CUDA libraries)
        return False
    return True


def check_rate(rate: Any, name: str = "sampling_rate") -> int:
    """``rate`` as an int of Hz. Raises TypeError for what is not a number (a string such as ``'16000'``, a
    bool) and ValueError for a rate that is not a whole positive number (``16000.5``, 0)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} is a number of samples per second such as 16000, not {rate!r} "
                        f"({type(rate).__name__})")
    if not float(rate).is_integer() or rate <= 0:
        raise ValueError(f"{name} must be a whole positive number of Hz such as 16000, not {rate!r}")
    return int(rate)


def resample(waveform: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample a mono waveform from ``from_rate`` to ``to_rate`` Hz (float32 out); both are checked by
    ``check_rate``."""
    from scipy.signal import resample_poly

    from_rate, to_rate = check_rate(from_rate, "from_rate"), check_rate(to_rate, "to_rate")
    if from_rate == to_rate:
        return np.asarray(waveform, dtype=np.float32)
    g = gcd(int(from_rate), int(to_rate))
    return resample_poly(waveform, to_rate // g, from_rate // g).astype(np.float32)


class AudioDecodeError(ValueError):
    """The file or bytes given to ``decode`` are empty or not audio that soundfile can read."""


def decode(audio: dict[str, Any], sampling_rate: int) -> dict[str, Any]:
    """Turn an ``Audio(decode=False)`` value ({"bytes", "path"}) into what a datasets-decoded
    column holds: {"array": float32 waveform at ``sampling_rate``, "sampling_rate", "path"}.

    Raises TypeError for anything but such a dict, FileNotFoundError for a missing file, and
    AudioDecodeError (a ValueError) for an empty file or one that is not audio; each names the file.
    """
    import soundfile as sf

    sampling_rate = check_rate(sampling_rate)
    if not isinstance(audio, dict) or not (audio.get("bytes") or audio.get("path")):
        raise TypeError("decode() takes an undecoded Audio value: a dict with 'bytes' or 'path'")
    if audio.get("bytes"):
        source: Any = io.BytesIO(audio["bytes"])
        label = f"the audio bytes of {audio['path']!r}" if audio.get("path") else "the audio bytes"
    else:
        path = Path(audio["path"])
        if path.is_dir():
            raise AudioDecodeError(f"decode(): {path} is a folder, not an audio file")
        if not path.is_file():
            raise FileNotFoundError(f"decode(): no audio file at {path}")
        if path.stat().st_size == 0:
            raise AudioDecodeError(f"decode(): {path} is empty (0 bytes): write or download it again")
        source, label = str(path), str(path)
    try:
        waveform, rate = sf.read(source, dtype="float32", always_2d=False)
    except (sf.SoundFileError, RuntimeError) as exc:
        detail = str(exc).rsplit(": ", 1)[-1]  # libsndfile's own words, without its "Error opening <object>"
        raise AudioDecodeError(
            f"decode(): {label} is not audio that soundfile can read (WAV, FLAC, OGG or MP3): {detail}"
        ) from None
    if waveform.size == 0:
        raise AudioDecodeError(f"decode(): {label} holds no samples")
    if waveform.ndim > 1:
        waveform = waveform.mean(axis=1)  # mix down to mono
    return {"array": resample(waveform, rate, sampling_rate), "sampling_rate": sampling_rate, "path": audio.get("path")}


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


SYNTHESIS_TIMEOUT_S = 60.0  # espeak-ng speaks a paragraph in well under a second


def synthesize(text: str, path: str | Path, voice: str = "en-us", words_per_minute: int = 150) -> Path:
    """Speak ``text`` into a 22,050 Hz mono WAV file at ``path`` with espeak-ng.

    The text goes to espeak-ng on its standard input (``--stdin``), never on the command line,
    so text starting with "-" ("-5 degrees outside") is spoken, not read as options.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("synthesize() needs some text to speak")
    if not isinstance(voice, str) or not voice or voice.startswith("-"):
        raise ValueError(f"synthesize() needs a voice name such as 'en-us', got {voice!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [espeak(), "-b", "1", "-v", voice, "-s", str(int(words_per_minute)), "-w", str(path), "--stdin"]
    try:
        result = subprocess.run(
            command, input=text.encode("utf-8"), capture_output=True, timeout=SYNTHESIS_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise SpeechSynthesisError(f"espeak-ng did not finish within {SYNTHESIS_TIMEOUT_S:g} s") from None
    if result.returncode != 0 or not path.is_file():
        stderr = result.stderr.decode("utf-8", "replace").strip()
        why = stderr or f"exit code {result.returncode}"
        raise SpeechSynthesisError(f"espeak-ng failed for voice {voice!r}: {why}")
    return path

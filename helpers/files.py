"""What a saved model folder contains (notebook 03).

``describe_folder`` lists files with sizes and a one-line explanation of each, so
``save_pretrained`` output is not a mystery.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

# Known file names (glob patterns) and what they hold.
DESCRIPTIONS: dict[str, str] = {
    "config.json": "the architecture and settings (AutoConfig reads this)",
    "generation_config.json": "default settings for .generate()",
    "model.safetensors": "all the weights, in the safetensors format",
    "model-*-of-*.safetensors": "one shard of the weights",
    "model.safetensors.index.json": "which shard holds which weight",
    "tokenizer.json": "the whole tokenizer: vocabulary, rules, special tokens (Rust backend)",
    "tokenizer_config.json": "tokenizer settings: class, casing, max length, special tokens",
    "special_tokens_map.json": "the special tokens (older format; v5 keeps them in tokenizer_config.json)",
    "vocab.txt": "the WordPiece vocabulary, one token per line",
    "preprocessor_config.json": "feature extractor settings (audio/image models)",
    "processor_config.json": "processor settings (v5 keeps all parts of a processor here)",
    "training_args.bin": "the TrainingArguments of the run that saved it (pickle)",
    "README.md": "the model card",
}


def describe(name: str) -> str:
    """The explanation of a file name, or an empty string when unknown."""
    for pattern, text in DESCRIPTIONS.items():
        if fnmatch.fnmatch(name, pattern):
            return text
    return ""


def human_size(size: int) -> str:
    """Bytes as a short human string: 935 B, 12.3 kB, 90.9 MB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def describe_folder(folder: str | Path) -> list[dict[str, Any]]:
    """One row per file in ``folder`` (not recursive): name, size, bytes, what it is.

    Raises FileNotFoundError (saying what to run) when the folder does not exist.
    """
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder: run the cell that saves it first")
    return [
        {"file": f.name, "size": human_size(f.stat().st_size), "bytes": f.stat().st_size, "what it is": describe(f.name)}
        for f in sorted(path.iterdir())
        if f.is_file()
    ]


def folder_table(folder: str | Path) -> Any:
    """``describe_folder`` as a pandas DataFrame indexed by file name (sizes shown, not bytes)."""
    import pandas as pd

    return pd.DataFrame(describe_folder(folder)).drop(columns="bytes").set_index("file")

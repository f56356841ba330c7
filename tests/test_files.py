"""Tests of ``helpers.files``: what each file of a saved model folder is, and human-readable sizes."""

from __future__ import annotations

import pytest

from helpers.files import describe, describe_folder, human_size


def test_describe_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"0" * 1500)
    (tmp_path / "notes.xyz").write_text("?")
    rows = {r["file"]: r for r in describe_folder(tmp_path)}
    assert rows["config.json"]["what it is"].startswith("the architecture")
    assert rows["model-00001-of-00002.safetensors"]["size"] == "1.5 kB"
    assert rows["notes.xyz"]["what it is"] == ""
    with pytest.raises(FileNotFoundError, match="run the cell that saves it"):
        describe_folder(tmp_path / "missing")


def test_human_size_and_describe():
    sizes = (0, 999, 1000, 2_500_000, 3_000_000_000)
    assert [human_size(n) for n in sizes] == ["0 B", "999 B", "1.0 kB", "2.5 MB", "3.0 GB"]
    assert "index" not in describe("model.safetensors") and "shard" in describe("model.safetensors.index.json")

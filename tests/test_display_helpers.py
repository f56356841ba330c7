"""Unit tests for the display helpers of notebooks 02-04 (no browser, no network)."""

import pytest

from helpers.configs import config_diff
from helpers.files import describe, describe_folder, human_size
from helpers.offline_kit import part_dir
from helpers.tokens import explorer_text, token_rows
from helpers.widgets import render, tokenizer_explorer


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(part_dir("encoder")))


@pytest.mark.needs_kit
def test_token_rows_line_up_tokens_ids_and_masks(tokenizer):
    rows = token_rows(tokenizer, "Hello world")
    assert [r["token"] for r in rows] == ["[CLS]", "hello", "world", "[SEP]"]
    assert [r["id"] for r in rows] == tokenizer("Hello world")["input_ids"]
    assert all(r["attention_mask"] == 1 for r in rows)
    assert [r["special"] for r in rows] == [True, False, False, True]


@pytest.mark.parametrize("bad, error", [("", ValueError), ("   ", ValueError), (None, TypeError), (["a"], TypeError)])
@pytest.mark.needs_kit
def test_token_rows_rejects_bad_input(tokenizer, bad, error):
    with pytest.raises(error):
        token_rows(tokenizer, bad)


@pytest.mark.needs_kit
def test_explorer_text_is_a_table_or_a_hint(tokenizer):
    text = explorer_text(tokenizer, "unbelievably")
    assert text.splitlines()[0].split()[:2] == ["token", "id"]
    assert "##" in text and "special" in text.splitlines()[-1]
    assert explorer_text(tokenizer, "") == "type some text to tokenize"


@pytest.mark.needs_kit
def test_explorer_widget_redraws_when_the_text_changes(tokenizer):
    box = tokenizer_explorer(tokenizer, "first text")
    text_box, view = box.children
    assert "first" in view.value
    text_box.value = "A <b>bold</b> move"  # what typing does
    assert view.value == render(tokenizer, "A <b>bold</b> move")
    assert "<b>" not in view.value and "&lt;" in view.value  # the learner's text is escaped
    text_box.value = ""
    assert "type some text" in view.value


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
    assert [human_size(n) for n in (0, 999, 1000, 2_500_000, 3_000_000_000)] == ["0 B", "999 B", "1.0 kB", "2.5 MB", "3.0 GB"]
    assert "index" not in describe("model.safetensors") and "shard" in describe("model.safetensors.index.json")


def test_config_diff():
    from transformers import BertConfig

    small = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, vocab_size=100)
    other = BertConfig(**{**small.to_dict(), "num_attention_heads": 4})
    assert config_diff(small, other) == [("num_attention_heads", 2, 4)]
    assert config_diff(small, small) == []
    assert config_diff({"a": 1, "transformers_version": "x"}, {"b": 2}) == [("a", 1, None), ("b", None, 2)]

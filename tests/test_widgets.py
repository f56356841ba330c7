"""Tests of ``helpers.widgets``: the tokenizer explorer of notebooks 02-04, its rows, text and widget, on the kit's
tokenizer (needs the kit; no browser, no network)."""

from __future__ import annotations

import pytest

from helpers.offline_kit import part_dir
from helpers.widgets import explorer_text, render, token_rows, tokenizer_explorer


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

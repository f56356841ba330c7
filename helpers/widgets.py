"""Notebook 02's tokenizer explorer: a text box and a live view of each token lined up with its id and masks.

The work is done by plain functions (``token_rows``, ``explorer_text``); the widget only wires them to a text
box. The view is an HTML widget whose ``value`` is set from Python, so the whole round trip can be tested
without a browser.
"""

from __future__ import annotations

import html
from typing import Any


FIELDS = ("input_ids", "attention_mask", "token_type_ids")


def token_rows(tokenizer: Any, text: str) -> list[dict[str, Any]]:
    """One row per token of ``text``: position, token, id, attention mask, token type id
    (when the tokenizer returns it), and whether it is a special token.

    Raises TypeError when ``text`` is not a string, ValueError when it is empty.
    """
    if not isinstance(text, str):
        raise TypeError(f"token_rows() takes one string, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("type some text to tokenize")
    encoding = tokenizer(text)
    ids = encoding["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    special = set(tokenizer.all_special_ids)
    rows = []
    for position, (token, token_id) in enumerate(zip(tokens, ids)):
        row: dict[str, Any] = {"position": position, "token": token, "id": token_id}
        for field in FIELDS[1:]:
            if field in encoding:
                row[field] = encoding[field][position]
        row["special"] = token_id in special
        rows.append(row)
    return rows


def explorer_text(tokenizer: Any, text: str) -> str:
    """What the explorer widget shows for ``text``: a fixed-width table, or a hint when empty."""
    try:
        rows = token_rows(tokenizer, text)
    except ValueError as exc:
        return str(exc)
    columns = [c for c in ("token", "id", "attention_mask", "token_type_ids") if c in rows[0]]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    lines.append(f"{len(rows)} tokens, {sum(r['special'] for r in rows)} special")
    return "\n".join(lines)


def render(tokenizer: Any, text: str) -> str:
    """The HTML the explorer shows for ``text``: the token table in a <pre> block."""
    return f"<pre>{html.escape(explorer_text(tokenizer, text))}</pre>"


def tokenizer_explorer(tokenizer: Any, text: str = "Tokenizers split words into pieces.") -> Any:
    """A text box and a live view of its tokens, ids and masks (ipywidgets VBox).

    ``box.children[0]`` is the Text input; setting its ``value`` (by typing, or from code)
    redraws ``box.children[1]``, an HTML widget.
    """
    import ipywidgets as widgets

    box_input = widgets.Text(value=text, description="Text:", layout=widgets.Layout(width="90%"))
    view = widgets.HTML(value=render(tokenizer, text))

    def on_change(change: dict[str, Any]) -> None:
        view.value = render(tokenizer, change["new"])

    box_input.observe(on_change, names="value")
    return widgets.VBox([box_input, view])

"""Interactive widgets for the notebooks (notebook 02: the tokenizer explorer).

The work is done by plain functions (``helpers.tokens.explorer_text``); the widgets only wire
them to a text box. The view is an HTML widget whose ``value`` is set from Python, so the
whole round trip can be tested without a browser.
"""

from __future__ import annotations

import html
from typing import Any

from helpers.tokens import explorer_text


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

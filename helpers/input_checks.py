"""Checks of what a learner passes to ``generate`` and chat templates, with errors that say what to do (notebook 07).

What Transformers itself does with three common mistakes (checked with transformers 5.25, tests/test_input_checks.py):

- an empty prompt tokenizes to zero tokens: ``generate`` fails deep inside the attention layer ("cannot reshape
  tensor of 0 elements ..."), and ``pipeline("text-generation")("")`` answers with text generated from nothing;
- a chat message without ``"role"``: ``apply_chat_template`` stops with Jinja's "'dict object' has no attribute
  'role'" (which message?), and the pipeline with "can only concatenate str (not "dict") to str";
- ``max_new_tokens`` of 0 or less: ``GenerationConfig.validate`` refuses it clearly ("`max_new_tokens` must be
  greater than 0"); but a float such as 2.5 is accepted without a word.

The notebook calls these checks in view, before ``generate``; they never wrap the Transformers call itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ROLES = ("system", "user", "assistant", "tool")


def check_prompt(prompt: Any) -> str:
    """Return ``prompt`` if it is a string with at least one non-space character; else raise with what to do."""
    if not isinstance(prompt, str):
        raise TypeError(f"the prompt must be a string, not {type(prompt).__name__}: for a chat, pass messages to "
                        "tokenizer.apply_chat_template first")
    if not prompt.strip():
        raise ValueError("the prompt is empty: a causal language model continues a text, so give it at least one "
                         "word to continue, e.g. 'the movie is'")
    return prompt


def check_messages(messages: Any) -> list[dict[str, Any]]:
    """Return ``messages`` as a list if it is a non-empty chat; else raise naming the message at fault.

    A chat is a list of dicts, each with a ``"role"`` (system, user, assistant or tool) and a string
    ``"content"``, e.g. ``[{"role": "user", "content": "Write a positive movie review."}]``.
    """
    example = "[{'role': 'user', 'content': 'Write a positive movie review.'}]"
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TypeError(f"a chat is a list of messages, not {type(messages).__name__}: e.g. {example}")
    if not messages:
        raise ValueError(f"the chat is empty: give at least one message, e.g. {example}")
    for number, message in enumerate(messages, start=1):
        if not isinstance(message, Mapping):
            raise TypeError(f"message {number} is a {type(message).__name__}, not a dict with 'role' and 'content'")
        if "role" not in message:
            raise ValueError(f"message {number} has no 'role': say who speaks, one of {', '.join(ROLES)}, "
                             f"e.g. {{'role': 'user', 'content': {message.get('content', '...')!r}}}")
        if message["role"] not in ROLES:
            raise ValueError(f"message {number} has role {message['role']!r}; chat templates know {', '.join(ROLES)}")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"message {number} ({message['role']}) needs a 'content' string")
    return list(messages)


def check_max_new_tokens(max_new_tokens: Any) -> int:
    """Return ``max_new_tokens`` if it is a whole number above 0; else raise with what to do."""
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
        raise TypeError(f"max_new_tokens counts tokens: a whole number like 20, not {max_new_tokens!r}")
    if max_new_tokens <= 0:
        raise ValueError(f"max_new_tokens is {max_new_tokens}: ask for at least 1 new token (e.g. 20); "
                         "generate returns the prompt plus that many tokens at most")
    return max_new_tokens

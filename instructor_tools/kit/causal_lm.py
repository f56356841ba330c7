"""The kit's causal language model: a tiny Llama trained here on movie-review sentences (notebook 07 offline).

No small pretrained causal LM with usable weights ships on PyPI, so the kit trains one, in about two minutes
on one CPU thread, from the rotten_tomatoes sentences it already has:

- a byte-level BPE tokenizer (``tokenizers``), with the ChatML special tokens and chat template of
  HuggingFaceTB/SmolLM2-135M-Instruct, the checkpoint notebook 07 uses online;
- a ``LlamaForCausalLM`` (SmolLM2's architecture: grouped-query attention, tied embeddings), a few million
  parameters, trained on each sentence twice: as plain text, and as the answer of a chat turn that asks
  for a positive or a negative review (the data set's label says which). So offline, the chat template is
  not decorative: the model answers that one kind of request, and nothing else;
- its held-out perplexity (validation split), next to that of an add-one smoothed unigram model of the
  train tokens, scored on the same tokens. ``tests/test_kit_causal_lm.py`` holds the bar.

Used by ``instructor_tools.kit.parts.build_causal_lm``; everything heavy is imported inside the functions.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# SmolLM2's special tokens (ids 0, 1, 2 there too): <|im_start|> opens a chat turn and doubles as the
# beginning-of-sequence token, <|im_end|> closes a turn and is the end-of-sequence (and padding) token.
END_OF_TEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = (END_OF_TEXT, IM_START, IM_END)

# ChatML, as SmolLM2's template, without its default system message (the kit never trained on one).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# What a user asks in the chat turns the model is trained on; the label of the sentence picks the list.
REQUESTS: dict[int, tuple[str, ...]] = {
    0: ("Write a negative movie review.", "Write a bad review of a film.", "What is wrong with this movie?"),
    1: ("Write a positive movie review.", "Write a good review of a film.", "What is great about this movie?"),
}


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained model (changing any of it changes the kit: bump RECIPE_VERSION)."""

    vocab_size: int = 2048
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 512
    max_tokens: int = 96  # longer training rows are cut: 88 of the 13,648 (mostly chat turns of long sentences)
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 30
    seed: int = 42
    bar: float = 0.6  # the model's held-out perplexity must be at most bar x the unigram baseline's

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


RECIPE = Recipe()


def chat_turn(request: str, answer: str) -> list[dict[str, str]]:
    """One training conversation: the user's request and the sentence as the assistant's answer."""
    return [{"role": "user", "content": request}, {"role": "assistant", "content": answer}]


def train_tokenizer(texts: Sequence[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, as a Transformers tokenizer with ChatML tokens.

    Byte-level like SmolLM2's (GPT-2's scheme): any text encodes, nothing becomes unknown.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=IM_START,
        eos_token=IM_END,
        pad_token=IM_END,
        unk_token=END_OF_TEXT,
        chat_template=CHAT_TEMPLATE,
        model_max_length=RECIPE.max_position_embeddings,
    )


def new_model(tokenizer: Any, recipe: Recipe = RECIPE) -> Any:
    """A randomly initialised LlamaForCausalLM shaped like SmolLM2, shrunk (seeded by the caller)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=recipe.hidden_size,
        intermediate_size=recipe.intermediate_size,
        num_hidden_layers=recipe.num_hidden_layers,
        num_attention_heads=recipe.num_attention_heads,
        num_key_value_heads=recipe.num_key_value_heads,
        max_position_embeddings=recipe.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        rms_norm_eps=1e-5,
        architectures=["LlamaForCausalLM"],
    )
    return LlamaForCausalLM(config)


def training_rows(tokenizer: Any, texts: Sequence[str], labels: Sequence[int], seed: int) -> list[list[int]]:
    """Token ids of every training row: each sentence as plain text ending in <|im_end|>, and as a chat turn."""
    rng = random.Random(seed)
    plain = [text + IM_END for text in texts]
    chats = [
        tokenizer.apply_chat_template(chat_turn(rng.choice(REQUESTS[label]), text), tokenize=False)
        for text, label in zip(texts, labels)
    ]
    ids = tokenizer(plain + chats, add_special_tokens=False)["input_ids"]
    return [row[: RECIPE.max_tokens] for row in ids]


def batches(rows: list[list[int]], batch_size: int, pad_id: int, rng: random.Random) -> list[tuple[Any, Any, Any]]:
    """Shuffled batches of rows of similar length (little padding): (input_ids, attention_mask, labels)."""
    import torch

    order = sorted(range(len(rows)), key=lambda i: (len(rows[i]), rng.random()))
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(groups)
    out = []
    for group in groups:
        width = max(len(rows[i]) for i in group)
        ids = torch.full((len(group), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(group), width), dtype=torch.long)
        for r, i in enumerate(group):
            ids[r, : len(rows[i])] = torch.tensor(rows[i])
            mask[r, : len(rows[i])] = 1
        out.append((ids, mask, ids.masked_fill(mask == 0, -100)))
    return out


def train(model: Any, rows: list[list[int]], pad_id: int, recipe: Recipe, log: Callable[[str], None]) -> dict[str, Any]:
    """A plain PyTorch loop (AdamW, warm-up then linear decay); returns the loss record and the time taken."""
    import torch

    rng = random.Random(recipe.seed)
    epochs = [batches(rows, recipe.batch_size, pad_id, rng) for _ in range(recipe.epochs)]
    total = sum(len(e) for e in epochs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01, betas=(0.9, 0.95))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / recipe.warmup_steps, max(0.0, (total - s) / (total - recipe.warmup_steps)))
    )
    model.train()
    losses, step, start = [], 0, time.monotonic()
    for epoch in epochs:
        for ids, mask, labels in epoch:
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            step += 1
            if step % 100 == 0 or step == total:
                log(f"step {step}/{total}: loss {sum(losses[-50:]) / len(losses[-50:]):.3f}")
    model.eval()
    return {"steps": total, "train_seconds": round(time.monotonic() - start, 1), "final_loss": round(losses[-1], 3)}


def held_out_tokens(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Each held-out sentence as it is scored: plain text followed by <|im_end|>."""
    return tokenizer([text + IM_END for text in texts], add_special_tokens=False)["input_ids"]


def model_perplexity(model: Any, rows: list[list[int]], pad_id: int) -> tuple[float, int]:
    """Perplexity of ``model`` on ``rows``, over every token after the first of each row; and how many tokens."""
    import torch

    nll, count = 0.0, 0
    with torch.no_grad():
        for ids, mask, labels in batches(rows, 64, pad_id, random.Random(0)):
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
            target = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), target.reshape(-1), reduction="sum", ignore_index=-100
            )
            nll += loss.item()
            count += int((target != -100).sum())
    return math.exp(nll / count), count


def unigram_perplexity(train_rows: list[list[int]], rows: list[list[int]], vocab_size: int) -> float:
    """Perplexity of an add-one smoothed unigram model of ``train_rows`` on the same tokens as ``model_perplexity``."""
    counts = [1] * vocab_size
    for row in train_rows:
        for token in row:
            counts[token] += 1
    total = sum(counts)
    nll = count = 0
    for row in rows:
        for token in row[1:]:
            nll -= math.log(counts[token] / total)
            count += 1
    return math.exp(nll / count)


def build(out: Path, log: Callable[[str], None], train_texts: Sequence[str], train_labels: Sequence[int],
          held_out: Sequence[str], recipe: Recipe = RECIPE) -> dict[str, Any]:
    """Train tokenizer and model, measure them, save both (and a generation_config.json) into ``out``; the facts."""
    import torch
    from transformers import GenerationConfig

    torch.manual_seed(recipe.seed)
    tokenizer = train_tokenizer(train_texts, recipe.vocab_size)
    log(f"trained a byte-level BPE tokenizer: {len(tokenizer)} tokens")
    model = new_model(tokenizer, recipe)
    rows = training_rows(tokenizer, train_texts, train_labels, recipe.seed)
    log(f"training {model.num_parameters():,} parameters on {len(rows)} rows ({sum(map(len, rows)):,} tokens), "
        f"{recipe.epochs} epochs on one CPU thread (about 2 minutes)")
    # One thread, whatever the machine has: a different thread count sums in a different order, and thousands of
    # steps turn that rounding into other weights, so notebook 07's stored text would no longer match a kit built
    # on a machine with more cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        record = train(model, rows, tokenizer.pad_token_id, recipe, log)
    finally:
        torch.set_num_threads(threads)
    plain_train = held_out_tokens(tokenizer, train_texts)
    scored = held_out_tokens(tokenizer, held_out)
    ppl, tokens = model_perplexity(model, scored, tokenizer.pad_token_id)
    baseline = unigram_perplexity(plain_train, scored, len(tokenizer))
    # What generate() uses when the caller says nothing: stop at <|im_end|>, pad with it, greedy decoding.
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    facts = {
        "architecture": "LlamaForCausalLM",
        "parameters": model.num_parameters(),
        "model_bytes": size,
        "vocab_size": len(tokenizer),
        "recipe": recipe.as_dict(),
        "train_rows": len(rows),
        "threads": 1,
        **record,
        "held_out": "validation split, plain sentences, every token after the first (end token included)",
        "held_out_tokens": tokens,
        "validation_perplexity": round(ppl, 2),
        "unigram_perplexity": round(baseline, 2),
        "perplexity_bar": recipe.bar,
    }
    (out / "README.md").write_text(
        "# movie-lm: a tiny causal language model trained here (offline substitute)\n\n"
        f"A LlamaForCausalLM of {facts['parameters'] / 1e6:.1f}M parameters with a {len(tokenizer):,}-token "
        "byte-level BPE tokenizer and a ChatML chat template, trained by quicktour-notebooks' offline kit in "
        f"{record['train_seconds']:.0f} s on the rotten_tomatoes train sentences, as plain text and as the answers "
        "of chat turns asking for a positive or a negative review. Fluent in short movie-review phrases and "
        f"nothing else. Held-out perplexity {ppl:.1f} (validation split), against {baseline:.1f} for a unigram "
        "model of the same tokens. Used offline in place of HuggingFaceTB/SmolLM2-135M-Instruct.\n"
    )
    log(f"trained in {record['train_seconds']:.0f} s; held-out perplexity {ppl:.1f} vs unigram {baseline:.1f}")
    return facts

"""The kit's causal LM (notebook 07 offline), as `make kit` builds it: record, perplexity bar, chat, sampling."""

from __future__ import annotations

import pytest

from instructor_tools.kit import build as kit_build
from instructor_tools.kit import causal_lm
from helpers.offline_kit import part_dir

pytestmark = pytest.mark.needs_kit
PART = "causal-lm"


@pytest.fixture(scope="module")
def facts():
    try:
        return kit_build.info()["parts"][PART]["facts"]
    except (FileNotFoundError, KeyError) as exc:
        pytest.fail(f"the kit's {PART!r} part is not built ({exc}): run `make kit`")


@pytest.fixture(scope="module")
def lm():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = str(part_dir(PART))
    return AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder).eval()


def test_the_part_verifies():
    assert kit_build.verify(parts=[PART]) == []


def test_the_model_clearly_beats_the_unigram_baseline(facts):
    assert facts["validation_perplexity"] <= causal_lm.RECIPE.bar * facts["unigram_perplexity"], facts
    assert facts["perplexity_bar"] == causal_lm.RECIPE.bar


def test_training_took_at_most_a_few_minutes(facts):
    assert facts["train_seconds"] <= 240, facts
    assert facts["parameters"] < 5_000_000 and facts["model_bytes"] < 25_000_000, facts


def test_the_recorded_perplexities_are_what_the_saved_files_give(facts, lm):
    """Recomputed from the saved model and tokenizer on the kit's validation split: the record is no claim."""
    from datasets import load_dataset

    tokenizer, model = lm
    held_out = load_dataset(str(part_dir("rotten_tomatoes")), split="validation")["text"]
    train = load_dataset(str(part_dir("rotten_tomatoes")), split="train")["text"]
    rows = causal_lm.held_out_tokens(tokenizer, list(held_out))
    ppl, tokens = causal_lm.model_perplexity(model, rows, tokenizer.pad_token_id)
    assert tokens == facts["held_out_tokens"]
    assert ppl == pytest.approx(facts["validation_perplexity"], rel=0.01)
    baseline = causal_lm.unigram_perplexity(causal_lm.held_out_tokens(tokenizer, list(train)), rows, len(tokenizer))
    assert baseline == pytest.approx(facts["unigram_perplexity"], rel=0.001)


def test_a_chat_request_gets_a_closed_answer(lm):
    """Offline the chat template is real: the model answers a review request and ends its turn with <|im_end|>."""
    import torch

    tokenizer, model = lm
    chat = [{"role": "user", "content": "Write a positive movie review."}]
    inputs = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    n = inputs["input_ids"].shape[1]
    replies = []
    for seed in range(5):
        torch.manual_seed(seed)
        out = model.generate(**inputs, do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=60)
        replies.append(out[0, n:].tolist())
    closed = [r for r in replies if tokenizer.eos_token_id in r]
    assert len(closed) >= 4, [tokenizer.decode(r) for r in replies]
    assert all(len(r) > 3 for r in replies)


def test_seeded_sampling_is_reproducible_on_the_kit_model(lm):
    import torch

    tokenizer, model = lm
    inputs = tokenizer("the movie is", return_tensors="pt")

    def sample(seed: int) -> list[int]:
        torch.manual_seed(seed)
        return model.generate(**inputs, do_sample=True, top_k=50, max_new_tokens=12, min_new_tokens=12)[0].tolist()

    assert sample(3) == sample(3)
    assert sample(3) != sample(4)

"""Notebook 07's plumbing without the kit: the input checks, what Transformers itself does with bad input,
seeded sampling, and the kit's causal-LM recipe run small (tokenizer, chat template, training, perplexities)."""

from __future__ import annotations

import pytest

from helpers.input_checks import check_max_new_tokens, check_messages, check_prompt
from instructor_tools.kit import causal_lm

SENTENCES = [
    "a gorgeous , witty , seductive movie .",
    "the film is strictly routine .",
    "an utterly charming and hilarious film that reminded me of the best of the genre .",
    "it's a bad sign when you're rooting for the film to end .",
    "the performances are uniformly excellent .",
    "a dull , simple-minded and stereotypical tale of drugs , death and mind-numbing indifference .",
] * 4
LABELS = [1, 0, 1, 0, 1, 0] * 4


# --------------------------------------------------------------------------- the checks


@pytest.mark.parametrize("prompt", ["", "   ", "\n"])
def test_an_empty_prompt_is_refused_with_what_to_do(prompt):
    with pytest.raises(ValueError, match="the prompt is empty.*at least one word"):
        check_prompt(prompt)


def test_a_prompt_that_is_not_a_string_is_refused():
    with pytest.raises(TypeError, match="must be a string"):
        check_prompt([{"role": "user", "content": "hi"}])
    assert check_prompt("the movie is") == "the movie is"


def test_a_message_without_a_role_is_refused_by_number():
    chat = [{"role": "system", "content": "Be brief."}, {"content": "Write a positive movie review."}]
    with pytest.raises(ValueError, match=r"message 2 has no 'role'.*'user'"):
        check_messages(chat)


@pytest.mark.parametrize(
    ("chat", "error", "words"),
    [
        ([], ValueError, "the chat is empty"),
        ("Write a review.", TypeError, "a chat is a list of messages"),
        ([("user", "hi")], TypeError, "message 1 is a tuple"),
        ([{"role": "critic", "content": "hi"}], ValueError, "role 'critic'"),
        ([{"role": "user"}], ValueError, "needs a 'content' string"),
    ],
)
def test_other_malformed_chats_are_refused(chat, error, words):
    with pytest.raises(error, match=words):
        check_messages(chat)


def test_a_good_chat_passes_unchanged():
    chat = ({"role": "user", "content": "Write a positive movie review."},)
    assert check_messages(chat) == list(chat)


@pytest.mark.parametrize("bad", [0, -3])
def test_max_new_tokens_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="at least 1 new token"):
        check_max_new_tokens(bad)


@pytest.mark.parametrize("bad", [2.5, "20", True, None])
def test_max_new_tokens_must_be_a_whole_number(bad):
    with pytest.raises(TypeError, match="a whole number"):
        check_max_new_tokens(bad)
    assert check_max_new_tokens(20) == 20


# --------------------------------------------------------------------------- a tiny model of the kit's recipe

TINY = causal_lm.Recipe(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=2, num_key_value_heads=1, epochs=1, batch_size=8, warmup_steps=2)


@pytest.fixture(scope="module")
def tiny():
    """A tokenizer of the kit's kind and a random LlamaForCausalLM of the kit's shape, shrunk (seeded)."""
    import torch

    torch.manual_seed(0)
    tokenizer = causal_lm.train_tokenizer(SENTENCES, TINY.vocab_size)
    model = causal_lm.new_model(tokenizer, TINY).eval()
    return tokenizer, model


def test_the_chat_template_renders_chatml_exactly(tiny):
    tokenizer, _ = tiny
    chat = [{"role": "user", "content": "Write a positive movie review."}]
    text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    assert text == "<|im_start|>user\nWrite a positive movie review.<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer.apply_chat_template(chat, add_generation_prompt=True)["input_ids"]
    assert ids[0] == tokenizer.convert_tokens_to_ids("<|im_start|>") == tokenizer.bos_token_id
    assert tokenizer.eos_token == tokenizer.pad_token == "<|im_end|>"


def test_transformers_refuses_max_new_tokens_of_zero_itself(tiny):
    """The one mistake Transformers reports clearly on its own (so the notebook shows its message)."""
    tokenizer, model = tiny
    inputs = tokenizer("the film", return_tensors="pt")
    with pytest.raises(ValueError, match="`max_new_tokens` must be greater than 0"):
        model.generate(**inputs, max_new_tokens=0)


def test_transformers_gives_no_clear_error_for_an_empty_prompt(tiny):
    """Why check_prompt exists: generate on zero tokens fails with an error that does not mention the prompt."""
    tokenizer, model = tiny
    inputs = tokenizer("", return_tensors="pt")
    assert inputs["input_ids"].shape[1] == 0
    with pytest.raises(Exception) as caught:  # noqa: PT011 (the point is that it is not a clear ValueError)
        model.generate(**inputs, max_new_tokens=3)
    assert "prompt" not in str(caught.value).lower()


def test_what_transformers_does_with_an_empty_prompt_and_a_roleless_message(tiny):
    """The behaviours notebook 07's section 9 and helpers/input_checks.py describe (if one changes, update both)."""
    import jinja2
    from transformers import pipeline

    tokenizer, model = tiny
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
    answer = generator("", max_new_tokens=3, do_sample=False)  # no error: it writes from nothing
    assert isinstance(answer[0]["generated_text"], str)
    roleless = [{"content": "Write a positive movie review."}]
    with pytest.raises(jinja2.exceptions.UndefinedError, match="has no attribute 'role'") as caught:
        tokenizer.apply_chat_template(roleless, tokenize=False, add_generation_prompt=True)
    assert "message" not in str(caught.value)  # it does not say which message
    with pytest.raises(TypeError, match="can only concatenate str"):
        generator(roleless, max_new_tokens=3)


def test_seeded_sampling_is_reproducible_and_the_seed_matters(tiny):
    import torch

    tokenizer, model = tiny
    inputs = tokenizer("the film", return_tensors="pt")
    n = inputs["input_ids"].shape[1]

    def sample(seed: int) -> list[int]:
        torch.manual_seed(seed)
        out = model.generate(**inputs, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                             max_new_tokens=16, min_new_tokens=16)
        return out[0, n:].tolist()

    first, again, other = sample(7), sample(7), sample(8)
    assert len(first) == 16
    assert first == again
    assert first != other


def test_greedy_decoding_ignores_the_seed(tiny):
    import torch

    tokenizer, model = tiny
    inputs = tokenizer("the film", return_tensors="pt")
    runs = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        runs.append(model.generate(**inputs, do_sample=False, max_new_tokens=8).tolist())
    assert runs[0] == runs[1]


def test_training_rows_hold_each_sentence_plain_and_as_a_labelled_chat(tiny):
    tokenizer, _ = tiny
    rows = causal_lm.training_rows(tokenizer, SENTENCES[:2], LABELS[:2], seed=0)
    texts = [tokenizer.decode(row) for row in rows]
    assert texts[0] == SENTENCES[0] + "<|im_end|>"
    assert texts[2].startswith("<|im_start|>user\n") and texts[2].endswith(f"assistant\n{SENTENCES[0]}<|im_end|>\n")
    asked = texts[2].split("\n")[1].removesuffix("<|im_end|>")
    assert asked in causal_lm.REQUESTS[1]  # a positive sentence answers a request for a positive review
    asked = texts[3].split("\n")[1].removesuffix("<|im_end|>")
    assert asked in causal_lm.REQUESTS[0]


def test_unigram_perplexity_matches_a_hand_computation():
    # vocabulary of 3, train counts 2, 1, 0 -> add-one: 3/6, 2/6, 1/6; scored tokens (after the first): 1 and 2
    ppl = causal_lm.unigram_perplexity([[0, 0, 1]], [[5, 1, 2]], vocab_size=3)
    assert ppl == pytest.approx((2 / 6 * 1 / 6) ** -0.5)


def test_the_recipe_run_small_saves_a_loadable_model_that_beats_the_unigram(tmp_path):
    """The kit part's builder end to end, on a toy corpus: files, facts, a loadable model, the bar's direction."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    recipe = causal_lm.Recipe(**{**TINY.as_dict(), "epochs": 30, "learning_rate": 1e-2})
    facts = causal_lm.build(tmp_path, lambda _: None, SENTENCES, LABELS, SENTENCES[:6], recipe)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "README.md"} <= names
    assert facts["parameters"] > 0 and facts["held_out_tokens"] > 0 and facts["train_seconds"] >= 0
    # memorized sentences: far below the unigram baseline
    assert facts["validation_perplexity"] < recipe.bar * facts["unigram_perplexity"], facts
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert type(model).__name__ == "LlamaForCausalLM" and model.config.num_key_value_heads == 1
    assert tokenizer.chat_template == causal_lm.CHAT_TEMPLATE
    generation = GenerationConfig.from_pretrained(tmp_path)
    assert generation.eos_token_id == tokenizer.eos_token_id == tokenizer.pad_token_id

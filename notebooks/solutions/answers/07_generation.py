"""Answers to the exercises of notebooks/07_generation.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
from transformers import GenerationConfig

period_id = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(" .")[-1])
print("the model's end token(s):", model.generation_config.eos_token_id, "· the full stop:", period_id)
own = model.generation_config.eos_token_id
one_sentence = GenerationConfig(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=40,
                                eos_token_id=(own if isinstance(own, list) else [own]) + [period_id])
print("ends at:", one_sentence.eos_token_id)

# %% exercise 1 mistake
one_sentence = GenerationConfig(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=40, eos_token_id=period_id)  # replaces the model's own end token

# %% exercise 2 solution
with torch.no_grad():
    logits = model(**inputs).logits[0, -1].float()
scores = logits / 0.5
fifth_highest = torch.topk(scores, 5).values[-1]
probabilities_05 = torch.softmax(torch.where(scores >= fifth_highest, scores, float("-inf")), dim=-1)
print(f"sum {probabilities_05.sum().item():.4f}, {int((probabilities_05 > 0).sum())} tokens possible")

# %% exercise 2 mistake
probabilities_05 = torch.softmax(logits / 0.5, dim=-1)  # the temperature alone: every token stays possible

# %% exercise 3 solution
chat_with_start = [
    {"role": "system", "content": "You write short movie reviews."},
    {"role": "user", "content": "Write a negative movie review."},
    {"role": "assistant", "content": "Honestly,"},
]
chat_text = tokenizer.apply_chat_template(chat_with_start, tokenize=False, continue_final_message=True)
print(repr(chat_text))

# %% exercise 3 mistake
chat_text = tokenizer.apply_chat_template(chat_with_start, tokenize=False)  # the template closes the assistant's turn

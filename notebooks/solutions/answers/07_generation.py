"""Answers to the exercises of notebooks/07_generation.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
new_ids = model.generate(**inputs, max_new_tokens=12, min_new_tokens=12, do_sample=False)[0, prompt_length:].tolist()
print(len(new_ids), tokenizer.decode(new_ids))

# %% exercise 1 mistake
new_ids = model.generate(**inputs, max_new_tokens=12, do_sample=False)[0].tolist()  # the prompt's ids included

# %% exercise 2 solution
with torch.no_grad():
    logits = model(**inputs).logits[0, -1].float()
probabilities_05 = torch.softmax(logits / 0.5, dim=-1)
print(f"sum {probabilities_05.sum().item():.4f}, largest {probabilities_05.max().item():.2f}")

# %% exercise 2 mistake
probabilities_05 = torch.softmax(logits * 0.5, dim=-1)  # multiplied by the temperature instead of divided

# %% exercise 3 solution
chat_with_system = [
    {"role": "system", "content": "You write short movie reviews."},
    {"role": "user", "content": "Write a negative movie review."},
]
chat_text = tokenizer.apply_chat_template(chat_with_system, tokenize=False, add_generation_prompt=True)
print(repr(chat_text))

# %% exercise 3 mistake
chat_text = tokenizer.apply_chat_template(chat_with_system, tokenize=False)  # no opening for the assistant's turn

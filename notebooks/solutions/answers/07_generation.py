"""Answers to the exercises of notebooks/07_generation.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
stop_id = model.generate(**inputs, max_new_tokens=1, do_sample=False)[0, -1].item()
print("stop_id:", stop_id, repr(tokenizer.decode([stop_id])))
output_ids = model.generate(**inputs, max_new_tokens=12, min_new_tokens=12, eos_token_id=stop_id, do_sample=False)
new_ids = output_ids[0, prompt_length:].tolist()
print(len(new_ids), "new tokens; the end token among them:", stop_id in new_ids)  # min_new_tokens holds it off

# %% exercise 1 mistake
new_ids = model.generate(**inputs, max_new_tokens=12, eos_token_id=stop_id, do_sample=False)[0, prompt_length:].tolist()  # no min_new_tokens: it stops at once

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

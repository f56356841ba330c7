"""Answers to the exercises of notebooks/02_autoclass.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
words = ["happy", "transformers", "tokenization", "unbelievably", "movie"]
split_words = {word for word in words if len(tokenizer.tokenize(word)) > 1}
split_words

# %% exercise 1 mistake
split_words = {word for word in words if len(word) > 8}  # a guess from the length

# %% exercise 2 solution
inputs = tokenizer("I loved every minute of it.", return_tensors="pt").to(session.device)
with torch.no_grad():
    logits = model(**inputs).logits
p_positive = torch.softmax(logits, dim=-1)[0, model.config.label2id["POSITIVE"]].item()
round(p_positive, 4)

# %% exercise 2 mistake
with torch.no_grad():
    logits = model(**inputs).logits
p_positive = torch.softmax(logits, dim=0)[0, model.config.label2id["POSITIVE"]].item()  # softmax over the batch

"""Answers to the exercises of notebooks/06_accelerate.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
accumulation_steps = 64 // (8 * 2)
accumulation_steps

# %% exercise 1 mistake
accumulation_steps = 64 // 8  # splits the batch over the processes, forgets the per-device limit

# %% exercise 2 solution
test_rows = dataset["test"].shuffle(seed=42).select(range(200)).map(tokenize, batched=True).remove_columns(["text"])
test_loader = accelerator.prepare(DataLoader(test_rows, batch_size=64, collate_fn=data_collator))
model.eval()
correct = total = 0
for batch in test_loader:
    with torch.no_grad():
        predictions = model(**batch).logits.argmax(dim=-1)
    predictions, labels = accelerator.gather_for_metrics((predictions, batch["labels"]))
    correct += (predictions == labels).sum().item()
    total += labels.numel()
test_accuracy = correct / total
test_accuracy

# %% exercise 2 mistake
test_loader = accelerator.prepare(DataLoader(test_rows, batch_size=64, collate_fn=data_collator))
correct = 0
for batch in test_loader:
    with torch.no_grad():
        predictions = model(**batch).logits.argmax(dim=-1)
    correct += (predictions == batch["labels"]).sum().item()
test_accuracy = correct / 64  # divides by the batch size, not the number of rows

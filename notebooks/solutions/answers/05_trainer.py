"""Answers to the exercises of notebooks/05_trainer.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
import math


def optimizer_steps(rows, batch_size, epochs):
    return math.ceil(rows / batch_size) * epochs


optimizer_steps(len(dataset["train"]), training_args.per_device_train_batch_size, math.ceil(training_args.num_train_epochs))

# %% exercise 1 mistake
optimizer_steps = lambda rows, batch_size, epochs: rows // batch_size * epochs  # rounds the last batch away

# %% exercise 2 solution
lengths = np.array([len(ids) for ids in dataset["test"]["input_ids"]])
long = lengths > 30
predicted = prediction.predictions.argmax(axis=-1)
long_accuracy = float(np.mean(predicted[long] == prediction.label_ids[long]))
all_accuracy = float(np.mean(predicted == prediction.label_ids))
print(f"{long.sum()} of {len(lengths)} test sentences have more than 30 tokens, accuracy {long_accuracy:.3f}; "
      f"all {len(lengths)} test sentences: accuracy {all_accuracy:.3f}")

# %% exercise 2 mistake
long_accuracy = float(np.mean(prediction.predictions.argmax(axis=-1) == prediction.label_ids))  # every sentence

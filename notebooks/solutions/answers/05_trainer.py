"""Answers to the exercises of notebooks/05_trainer.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
import math

expected_steps = math.ceil(len(dataset["train"]) / profile.batch_size) * profile.epochs
expected_steps

# %% exercise 1 mistake
expected_steps = len(dataset["train"]) // profile.batch_size * profile.epochs  # rounds the last batch away

# %% exercise 2 solution
my_accuracy = float(np.mean(prediction.predictions.argmax(axis=-1) == prediction.label_ids))
round(my_accuracy, 4)

# %% exercise 2 mistake
my_accuracy = float(np.sum(prediction.predictions.argmax(axis=-1) == prediction.label_ids))  # a count

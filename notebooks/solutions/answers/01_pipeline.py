"""Answers to the exercises of notebooks/01_pipeline.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
sentence = "The plot is thin, but the actors carry it."
all_scores = classifier(sentence, top_k=None)
all_scores

# %% exercise 1 mistake
all_scores = classifier(sentence)  # only the best label

# %% exercise 2 solution
import evaluate

accuracy = evaluate.load(helpers.resolve("accuracy"))
test = dataset["test"].shuffle(seed=42)[:200]  # slicing gives a dict of plain lists: {"text": [...], "label": [...]}
predictions = [classifier.model.config.label2id[r["label"]] for r in classifier(test["text"], batch_size=32)]
test_accuracy = accuracy.compute(predictions=predictions, references=test["label"])["accuracy"]
print(f"accuracy on 200 test sentences: {test_accuracy:.3f}")

# %% exercise 2 mistake
predictions = [classifier.model.config.label2id[r["label"]] for r in classifier(test["text"], batch_size=32)]
test_accuracy = accuracy.compute(predictions=predictions, references=test["label"], normalize=False)["accuracy"]  # a count

# %% exercise 3 solution
from helpers.audio import decode, synthesize

my_sentence = "Please send some money to my savings account."
my_wav = synthesize(my_sentence, "outputs/01_my_sentence.wav")
my_waveform = decode({"path": str(my_wav)}, sampling_rate=model_rate)["array"]
print("heard:", speech_recognizer(my_waveform)["text"])

# %% exercise 3 mistake
import soundfile

my_waveform, _ = soundfile.read(my_wav, dtype="float32")  # read, but not resampled

"""Checks of the real offline kit, as `make setup` builds it (run `make kit` first), and its quality bars."""

import pytest

from instructor_tools.kit import build as kit_build
from instructor_tools.kit.parts import LABELS
from helpers.offline_kit import part_dir

pytestmark = pytest.mark.needs_kit


@pytest.fixture(scope="module")
def kit():
    try:
        return kit_build.info()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (these tests check the real kit)")


def test_kit_verifies(kit):
    assert kit_build.verify() == []


def test_classifier_is_good_enough(kit):
    """Recount the saved classifier's accuracy on the kit's 853 test sentences (not what the builder wrote
    down), read as the kit trained them (cut at its profile's max_length), and keep a floor under it."""
    from datasets import load_dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from instructor_tools.kit.evaluation import classifier_accuracy

    facts = kit["parts"]["sentiment"]["facts"]
    folder = str(part_dir("sentiment"))
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    test = load_dataset(str(part_dir("rotten_tomatoes")), split="test")
    accuracy = classifier_accuracy(model, AutoTokenizer.from_pretrained(folder), test["text"], test["label"],
                                   max_length=facts["recipe"]["max_length"], batch_size=64)
    assert len(test) == 853 and accuracy >= 0.80, accuracy
    assert accuracy == pytest.approx(facts["test_accuracy"], abs=0.005), (accuracy, facts["test_accuracy"])


def test_classifier_still_reads_long_reviews(kit):
    """A faster recipe must not buy its speed with whole reviews: recount the kit's out-of-domain
    accuracy on 300 IMDB reviews (not what the builder wrote down) and keep a floor under it."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from instructor_tools.kit.evaluation import ood_accuracy

    folder = str(part_dir("sentiment"))
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    accuracy = ood_accuracy(model, AutoTokenizer.from_pretrained(folder))
    assert accuracy >= 0.75, accuracy
    recorded = kit["parts"]["sentiment"]["facts"]["imdb_accuracy"]
    assert accuracy == pytest.approx(recorded, abs=0.01), (accuracy, recorded)


def test_dataset_has_hub_splits_and_labels(kit):
    from datasets import load_dataset

    data = load_dataset(str(part_dir("rotten_tomatoes")))
    assert set(data) == {"train", "validation", "test"}
    assert sum(len(split) for split in data.values()) == 8530
    assert data["train"].features["label"].names == ["neg", "pos"]
    for split in data.values():  # stratified: both labels equally present
        counts = split.to_pandas()["label"].value_counts()
        assert abs(counts[0] - counts[1]) <= 1


def test_local_metrics_compute_the_textbook_values(kit):
    import evaluate

    accuracy = evaluate.load(str(part_dir("metric-accuracy")))
    f1 = evaluate.load(str(part_dir("metric-f1")))
    preds, refs = [0, 1, 1, 1], [0, 1, 0, 0]
    assert accuracy.compute(predictions=preds, references=refs) == {"accuracy": 0.5}
    assert accuracy.compute(predictions=preds, references=refs, normalize=False) == {"accuracy": 2.0}
    # precision 1/3, recall 1 -> f1 = 0.5
    assert f1.compute(predictions=preds, references=refs)["f1"] == pytest.approx(0.5)
    # against scikit-learn, an independent implementation, on uneven classes
    from sklearn.metrics import f1_score

    preds, refs = [0, 1, 1, 1, 0, 2, 2], [0, 1, 0, 1, 1, 2, 1]
    for average in ("macro", "micro", "weighted"):
        ours = f1.compute(predictions=preds, references=refs, average=average)["f1"]
        assert ours == pytest.approx(f1_score(refs, preds, average=average)), average


def test_classifier_labels_and_a_clear_case(kit):
    from transformers import pipeline

    classifier = pipeline("sentiment-analysis", model=str(part_dir("sentiment")))
    assert list(classifier.model.config.id2label.values()) == list(LABELS)
    good, bad = classifier(["A wonderful, moving film.", "A dull, tedious mess."])
    assert good["label"] == "POSITIVE" and bad["label"] == "NEGATIVE"


def test_kit_whisper_transcribes_the_kit_speech_set(kit):
    """The kit's speech quality bar (notebook 01 teaches the steps; the bar lives here, not in the lesson)."""
    from transformers import pipeline

    from instructor_tools.kit.evaluation import kit_speech, word_error_rate

    asr = pipeline("automatic-speech-recognition", model=str(part_dir("whisper")))
    clips, references = kit_speech(asr.feature_extractor.sampling_rate)
    heard = [asr(clip)["text"] for clip in clips]
    score = word_error_rate(heard, references)
    assert score <= 0.10, (score, list(zip(heard, references)))

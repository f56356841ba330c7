"""Tests of ``instructor_tools.kit.evaluation``: the fixed IMDb sample and the out-of-domain accuracy, counted
against each review's own label with stand-in classifiers."""

from __future__ import annotations

import pytest


def test_imdb_sample_is_fixed_and_checked():
    from instructor_tools.kit.evaluation import imdb_sample

    texts, labels = imdb_sample(20)
    assert (texts, labels) == imdb_sample(20) and len(texts) == 20 and set(labels) <= {0, 1}
    assert imdb_sample(20, seed=1)[0] != texts
    assert sum(len(t) for t in texts) / 20 > 300  # whole reviews, not single sentences
    with pytest.raises(ValueError, match="positive"):
        imdb_sample(0)
    with pytest.raises(ValueError, match="has 25000"):
        imdb_sample(10**6)


class _StandIn:
    """A stand-in classifier. ``truth`` maps a review's token ids to its label: it answers that label (``invert``:
    the other one); without ``truth`` it answers "positive" for every review."""

    class config:  # noqa: N801 - mimics model.config
        num_labels = 2

    def __init__(self, truth=None, invert=False):
        import torch

        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen = 0
        self.truth, self.invert = truth, invert

    def parameters(self):
        return iter([self.weight])

    def eval(self):
        return self

    def __call__(self, input_ids, attention_mask, **kwargs):
        from types import SimpleNamespace

        import torch

        self.seen += input_ids.shape[0]
        assert input_ids.shape[1] <= 512
        answers = []
        for ids, mask in zip(input_ids.tolist(), attention_mask.tolist()):
            label = 1 if self.truth is None else self.truth[tuple(i for i, m in zip(ids, mask) if m)]
            answers.append(1 - label if self.invert else label)
        return SimpleNamespace(logits=torch.tensor([[1.0 - a, float(a)] for a in answers]))


def test_ood_accuracy_counts_against_the_labels():
    """Each answer is compared with its own review's label, though the reviews are read shortest first."""
    from transformers import AutoTokenizer

    from instructor_tools.kit.evaluation import classifier_accuracy, imdb_sample, ood_accuracy
    from instructor_tools.kit.sources import minilm_dir

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    texts, labels = imdb_sample(40)
    truth = {tuple(tokenizer(t, truncation=True, max_length=512)["input_ids"]): y for t, y in zip(texts, labels)}
    assert len(truth) == 40
    right, wrong, positive = _StandIn(truth), _StandIn(truth, invert=True), _StandIn()
    assert ood_accuracy(right, tokenizer, n=40, batch_size=16) == 1.0
    assert ood_accuracy(wrong, tokenizer, n=40, batch_size=16) == 0.0
    assert ood_accuracy(positive, tokenizer, n=40, batch_size=16) == pytest.approx(sum(labels) / 40)
    assert right.seen == wrong.seen == positive.seen == 40
    with pytest.raises(ValueError, match="two-label"):
        ood_accuracy(_StandIn3(), tokenizer, n=4)
    with pytest.raises(ValueError, match="same number"):
        classifier_accuracy(right, tokenizer, texts, labels[:-1], max_length=512)


class _StandIn3(_StandIn):
    class config:  # noqa: N801
        num_labels = 3

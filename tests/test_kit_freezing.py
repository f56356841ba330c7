"""Tests of ``instructor_tools.kit.freezing``: freezing a classifier's encoder leaves only its head to train."""

from __future__ import annotations

import pytest


def _tiny_classifier(kind: str):
    from transformers import BertConfig, BertForSequenceClassification, DistilBertForSequenceClassification

    from tests.hub.fixtures import tiny_distilbert_config

    if kind == "bert":
        config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=16)
        return BertForSequenceClassification(config)
    return DistilBertForSequenceClassification(tiny_distilbert_config())  # the Hub-ids run's distilbert shape


@pytest.mark.parametrize(
    "kind, head", [("bert", ("bert.pooler.", "classifier.")), ("distilbert", ("pre_classifier.", "classifier."))]
)
def test_freeze_encoder_leaves_only_the_head_to_train(kind, head):
    import torch

    from instructor_tools.kit.freezing import freeze_encoder, trainable, unfreeze

    model = _tiny_classifier(kind)
    everything = trainable(model)
    head_size = sum(p.numel() for n, p in model.named_parameters() if n.startswith(head))
    assert freeze_encoder(model) == head_size < everything
    loss = model(input_ids=torch.tensor([[1, 2, 3]]), labels=torch.tensor([1])).loss
    loss.backward()
    for name, p in model.named_parameters():
        assert (p.grad is not None) == name.startswith(head), name  # the encoder got no gradients
    assert unfreeze(model) == everything


def test_freeze_encoder_refuses_what_is_not_a_model_with_a_head():
    import torch

    from instructor_tools.kit.freezing import freeze_encoder

    with pytest.raises(TypeError, match="AutoModelForSequenceClassification"):
        freeze_encoder(torch.nn.Linear(2, 2))

"""Unit tests for notebook 05's plumbing: profiles and plots (its StopAtStep callback is taught in the notebook)."""

import pytest

from helpers.plots import confusion_counts, confusion_matrix, loss_curve, loss_points
from helpers.profiles import CPU_FAST, PROFILES, QUICKTOUR, pick


def test_profile_follows_the_device(monkeypatch):
    monkeypatch.delenv("QUICKTOUR_PROFILE", raising=False)
    assert pick("cuda") is QUICKTOUR
    assert pick("cpu") is CPU_FAST and pick("mps") is CPU_FAST
    assert pick("cpu", "quicktour") is QUICKTOUR
    monkeypatch.setenv("QUICKTOUR_PROFILE", "quicktour")
    assert pick("cpu") is QUICKTOUR


def test_quicktour_profile_is_the_quicktour_recipe():
    assert (QUICKTOUR.learning_rate, QUICKTOUR.batch_size, QUICKTOUR.epochs) == (2e-5, 8, 2)
    assert QUICKTOUR.max_length is None


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ValueError, match=", ".join(PROFILES)):
        pick("cpu", "turbo")


HISTORY = [
    {"loss": 0.69, "step": 20},
    {"loss": 0.55, "step": 40},
    {"eval_loss": 0.50, "eval_accuracy": 0.8, "step": 40},
    {"train_runtime": 10.0, "step": 40},
]


def test_loss_points_and_curve():
    train, evaluation = loss_points(HISTORY)
    assert train == [(20, 0.69), (40, 0.55)] and evaluation == [(40, 0.50)]
    fig = loss_curve(HISTORY)
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="trainer.train"):
        loss_curve([{"train_runtime": 1.0, "step": 0}])


def test_confusion_counts_and_matrix():
    assert confusion_counts([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2) == [[1, 1], [1, 2]]
    assert confusion_counts([0, 0, 0, 1], [1, 1, 0, 1], 2) == [[1, 2], [0, 1]]  # rows are the truth
    with pytest.raises(ValueError, match="references"):
        confusion_counts([0, 1], [0], 2)
    fig = confusion_matrix([0, 1], [1, 1], ["neg", "pos"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["0", "1", "0", "1"]


def test_small_figures_stay_small(tmp_path):
    path = tmp_path / "loss.png"
    loss_curve(HISTORY).savefig(path)
    assert path.stat().st_size < 100_000


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
        import torch
        from types import SimpleNamespace

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


def test_training_precision_follows_device_profile_and_cpu(monkeypatch):
    import helpers.device
    from helpers.profiles import training_precision

    monkeypatch.setattr(helpers.device, "cpu_bf16", lambda: (True, "units"))
    assert training_precision(CPU_FAST, "cpu") == ("bf16", "units")
    assert training_precision(QUICKTOUR, "cpu")[0] is None  # the quicktour recipe stays float32 on a CPU
    assert training_precision(CPU_FAST, "mps")[0] is None
    monkeypatch.setattr(helpers.device, "cpu_bf16", lambda: (False, "no units"))
    assert training_precision(CPU_FAST, "cpu") == (None, "no units")
    monkeypatch.setattr(helpers.device, "mixed_precision", lambda device: "fp16")
    assert training_precision(QUICKTOUR, "cuda")[0] == "fp16"


def test_cpu_bf16_can_be_switched_off(monkeypatch):
    from helpers.device import cpu_bf16

    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "0")
    assert cpu_bf16() == (False, "QUICKTOUR_CPU_BF16=0 turns it off")
    monkeypatch.delenv("QUICKTOUR_CPU_BF16")
    from helpers.device import MIN_BF16_SPEEDUP, bf16_matmul_speedup, bf16_units

    native, why = cpu_bf16()  # unset: this machine's own verdict, by its units and its measured ratio
    assert native is (bool(bf16_units()) and bf16_matmul_speedup() >= MIN_BF16_SPEEDUP), why
    assert ("does not pay" in why) is not native


def _cpu_with(monkeypatch, amx: bool, avx512_bf16: bool, speedup: float | None = None):
    """Pretend this CPU has the given bfloat16 units and measures ``speedup``."""
    import torch

    import helpers.device

    monkeypatch.delenv("QUICKTOUR_CPU_BF16", raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)

    def measured(repeats: int = 5) -> float:
        if speedup is None:
            raise AssertionError("a CPU without bfloat16 units must not be measured")
        return speedup

    monkeypatch.setattr(helpers.device, "bf16_matmul_speedup", measured)


def test_cpu_bf16_measures_instead_of_trusting_the_units(monkeypatch):
    from helpers.device import cpu_bf16

    _cpu_with(monkeypatch, amx=False, avx512_bf16=True, speedup=0.66)  # seen on this project's machine
    native, why = cpu_bf16()
    assert native is False
    assert why == ("bfloat16 does not pay on this CPU (AVX512-BF16; a matrix product measured ×0.66 the speed "
                   "of float32, ×1.2 needed)")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=True, speedup=1.17)  # rounds to 1.2 at one decimal: not enough
    assert cpu_bf16()[0] is False and "×1.17 the speed" in cpu_bf16()[1]
    _cpu_with(monkeypatch, amx=True, avx512_bf16=True, speedup=3.4)
    native, why = cpu_bf16()
    assert native is True and why.startswith("bfloat16 pays on this CPU (AMX and AVX512-BF16; ")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=False)
    assert cpu_bf16()[0] is False
    assert "emulated" in cpu_bf16()[1]


def test_cpu_bf16_can_be_forced_on_with_or_without_units(monkeypatch):
    from helpers.device import cpu_bf16

    _cpu_with(monkeypatch, amx=False, avx512_bf16=True, speedup=0.5)
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")
    assert cpu_bf16() == (True, "QUICKTOUR_CPU_BF16=1 turns it on (AVX512-BF16)")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=False)  # another machine's branch, emulated here
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")
    assert cpu_bf16() == (True, "QUICKTOUR_CPU_BF16=1 turns it on (no bfloat16 units: emulated)")


def test_bf16_hardware_says_where_bfloat16_is_worth_timing(monkeypatch):
    import helpers.device
    from helpers.device import bf16_hardware

    _cpu_with(monkeypatch, amx=True, avx512_bf16=True)  # never measured: units decide, not the speed
    assert bf16_hardware("cpu") == (True, "this CPU has bfloat16 units (AMX and AVX512-BF16)")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=False)
    native, why = bf16_hardware("cpu")
    assert native is False and "no bfloat16 units" in why
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")
    assert bf16_hardware("cpu") == (True, "QUICKTOUR_CPU_BF16=1 turns it on (no bfloat16 units: emulated)")
    _cpu_with(monkeypatch, amx=True, avx512_bf16=True)
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "0")
    assert bf16_hardware("cpu") == (False, "QUICKTOUR_CPU_BF16=0 turns it off")
    monkeypatch.delenv("QUICKTOUR_CPU_BF16")
    for precision, native in (("bf16", True), ("fp16", False)):
        monkeypatch.setattr(helpers.device, "mixed_precision", lambda device, precision=precision: precision)
        assert bf16_hardware("cuda")[0] is native
    assert bf16_hardware("mps") == (False, "bfloat16 is not measured on mps")


def test_bf16_matmul_speedup_is_a_measured_positive_ratio(monkeypatch):
    import torch

    import helpers.device

    import time

    monkeypatch.setattr(helpers.device, "_measured", {})  # a fresh cache, the module's own one restored afterwards
    # A scripted clock: float32 products take 3 s then 2 s, bfloat16 ones 1 s then 1.5 s: the best of each, 2 / 1.
    ticks = iter([0.0, 3.0, 10.0, 12.0, 20.0, 21.0, 30.0, 31.5])
    with monkeypatch.context() as clock:
        clock.setattr(time, "perf_counter", lambda: next(ticks))
        ratio = helpers.device.bf16_matmul_speedup(repeats=2)
    assert ratio == 2.0
    assert helpers.device.bf16_matmul_speedup(repeats=2) == ratio  # measured once per process
    assert set(helpers.device._measured) == {(torch.get_num_threads(), 2)}
    with pytest.raises(ValueError, match="positive int"):
        helpers.device.bf16_matmul_speedup(repeats=0)


def test_bf16_units_names_what_torch_reports(monkeypatch):
    import torch

    from helpers.device import bf16_units

    for amx, avx, words in ((True, True, "AMX and AVX512-BF16"), (False, True, "AVX512-BF16"), (False, False, "")):
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda avx=avx: avx)
        assert bf16_units() == words


def test_the_kit_trains_in_float32_everywhere(monkeypatch):
    from helpers.profiles import training_precision
    from instructor_tools.kit.parts import KIT_PROFILE

    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")  # even where bfloat16 would be used
    assert training_precision(KIT_PROFILE, "cpu")[0] is None


def _tiny_classifier(kind: str):
    from transformers import BertConfig, BertForSequenceClassification, DistilBertForSequenceClassification

    from tests.hub.fixtures import tiny_distilbert_config

    if kind == "bert":
        config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
        return BertForSequenceClassification(config)
    return DistilBertForSequenceClassification(tiny_distilbert_config())  # the Hub-ids run's distilbert shape


@pytest.mark.parametrize("kind, head", [("bert", ("bert.pooler.", "classifier.")), ("distilbert", ("pre_classifier.", "classifier."))])
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


def test_only_the_cpu_profile_trains_the_head_first():
    assert QUICKTOUR.head_first_rows == 0  # the quicktour's recipe, unchanged
    assert CPU_FAST.head_first_rows > 0 and CPU_FAST.head_first_lr > CPU_FAST.learning_rate

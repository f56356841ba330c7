"""Tests of ``helpers.resolver``: ``resolve`` picks the Hub, the local Hugging Face cache or the offline kit and says
why; its errors say what to do. With the fault cases: a damaged kit part, a huge name, and a Hugging Face cache that
counts only what transformers, datasets and evaluate can load offline (interrupted downloads, missing shards)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import helpers.resolver as resolve_module
from helpers import resolve
from helpers.catalog import lookup
from helpers.offline_kit import part_dir
from helpers.resolver import KitDamagedError, KitMissingError, UnknownCheckpointError, _in_hf_cache
from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from instructor_tools.kit import manifest
from tests.test_kit_build import FAKE_PARTS, REPAIR, SENTIMENT, _run, snapshot

REPO = Path(__file__).resolve().parents[1]


def fake_part(part: str, facts=None):
    """A built kit part with one small file, as the real build leaves it."""
    final = part_dir(part)
    staging = manifest.staging_dir(final)
    (staging / "config.json").write_text("{}")
    manifest.commit(staging, final, facts or {})
    return final


def test_hub_mode_returns_the_hub_id(fresh_mode, capsys):
    fresh_mode(True, "https://huggingface.co answered")
    assert resolve(SENTIMENT) == SENTIMENT
    assert capsys.readouterr().out == f"resolve: {SENTIMENT} -> Hub (auto: https://huggingface.co answered)\n"


def test_hub_mode_passes_unknown_names_through(fresh_mode):
    fresh_mode(True)
    assert resolve("someone/some-model", quiet=True) == "someone/some-model"


def test_forced_offline_returns_the_kit_path(fresh_mode, empty_kit, monkeypatch, capsys):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    path = fake_part("sentiment", {"test_accuracy": 0.83})
    assert resolve(SENTIMENT) == str(path)
    out = capsys.readouterr().out
    assert out == f"resolve: {SENTIMENT} -> kit:models/minilm-sentiment (offline kit: " + out.split("(offline kit: ")[1]
    assert "offline kit" in out and "0.830" in out and len(out.strip().splitlines()) == 1


def test_forced_offline_ignores_the_hf_cache(fresh_mode, empty_kit, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    monkeypatch.setattr(resolve_module, "_in_hf_cache", lambda entry, name=None: True)
    path = fake_part("sentiment")
    assert resolve(SENTIMENT, quiet=True) == str(path)


def test_auto_unreachable_prefers_the_hf_cache(fresh_mode, empty_kit, monkeypatch, capsys):
    fresh_mode(False, "no answer")
    monkeypatch.setattr(resolve_module, "_in_hf_cache", lambda entry, name=None: True)
    assert resolve(SENTIMENT) == SENTIMENT
    assert "local Hugging Face cache" in capsys.readouterr().out


def test_auto_unreachable_not_cached_uses_the_kit(fresh_mode, empty_kit, monkeypatch):
    fresh_mode(False, "no answer")
    monkeypatch.setattr(resolve_module, "_in_hf_cache", lambda entry, name=None: False)
    path = fake_part("rotten_tomatoes")
    assert resolve("rotten_tomatoes", quiet=True) == str(path)


def test_real_cache_lookup_finds_nothing_in_an_empty_cache(fresh_mode, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.delenv("HF_MODULES_CACHE", raising=False)
    assert not resolve_module._in_hf_cache(lookup("accuracy"))
    # and the same lookup says yes once evaluate's modules cache holds the metric's script in its hash folder
    folder = tmp_path / "hf" / "modules" / "evaluate_modules" / "metrics" / "evaluate-metric--accuracy" / ("a" * 64)
    folder.mkdir(parents=True)
    (folder / "accuracy.py").write_text("# the metric's script\n")
    assert resolve_module._in_hf_cache(lookup("accuracy"))
    (folder / "accuracy.py").unlink()  # a hash folder without its script: not servable offline
    assert not resolve_module._in_hf_cache(lookup("accuracy"))


def test_unknown_name_offline_lists_the_known_ones(fresh_mode, empty_kit, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    with pytest.raises(UnknownCheckpointError) as info:
        resolve("google/gemma-7b")
    message = str(info.value)
    assert SENTIMENT in message and "QUICKTOUR_MODE=auto" in message


def test_missing_kit_says_make_kit(fresh_mode, empty_kit, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    with pytest.raises(KitMissingError, match="make kit"):
        resolve(SENTIMENT)


def test_missing_kit_after_an_automatic_offline_says_how_to_insist_on_the_hub(fresh_mode, empty_kit):
    fresh_mode(False, "timed out after 3 s")
    with pytest.raises(KitMissingError) as info:
        resolve(SENTIMENT)
    message = str(info.value)
    assert "make kit" in message and "'QUICKTOUR_MODE'] = 'hub'" in message and "timed out after 3 s" in message
    assert message.index("restart the kernel") < message.index("'QUICKTOUR_MODE'] = 'hub'")  # the order that works


def test_missing_kit_under_hf_hub_offline_says_to_unset_it_first(fresh_mode, empty_kit, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(KitMissingError) as info:
        resolve(SENTIMENT)
    message = str(info.value)
    assert "make kit" in message and "unset it" in message and "went offline by itself" not in message


def test_missing_kit_in_forced_offline_mode_gives_no_hub_hint(fresh_mode, empty_kit, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    with pytest.raises(KitMissingError) as info:
        resolve(SENTIMENT)
    assert "'hub'" not in str(info.value)


def test_caveat_is_shown_for_the_multilingual_stand_in(fresh_mode, empty_kit, monkeypatch, capsys):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    fake_part("sentiment")
    resolve("nlptown/bert-base-multilingual-uncased-sentiment")
    out = capsys.readouterr().out
    assert "English-only" in out and "NOTE: no multilingual model exists offline" in out


@pytest.mark.parametrize(
    "bad, error", [(None, TypeError), (42, TypeError), (["a"], TypeError), ("", ValueError), ("  ", ValueError)]
)
def test_bad_input(fresh_mode, bad, error):
    with pytest.raises(error):
        resolve(bad)


# ---------------------------------------------------------------------------------------------
# Fault cases: a damaged kit part, a huge name (on the small fake kit of test_kit_build.py)


def test_truncated_file_is_refused_by_resolve_and_repaired(kit, offline, tmp_path, capsys):
    weights = part_dir("sentiment") / "model.safetensors"
    others = snapshot("encoder", "metric-accuracy")
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(KitDamagedError) as info:
        resolve(SENTIMENT)
    message = str(info.value)
    assert "size 100 bytes, expected 4096" in message and f"{REPAIR} --force sentiment" in message
    assert kit_cli.main(["verify", "--quick"], parts=FAKE_PARTS) == 1
    assert f"{REPAIR} --force sentiment" in capsys.readouterr().out
    assert kit_cli.main(["build", "--force", "sentiment"], parts=FAKE_PARTS) == 0  # the command named
    assert resolve(SENTIMENT, quiet=True) == str(part_dir("sentiment"))
    assert kit_build.verify(parts=FAKE_PARTS) == []
    assert snapshot("encoder", "metric-accuracy") == others, "a healthy part was touched"


def test_a_huge_name_is_shortened_in_the_error(offline, kit):
    with pytest.raises(UnknownCheckpointError) as info:
        resolve("x" * 100_000)
    message = str(info.value)
    assert len(message) < 2_000 and "100,000 characters" in message


# ---------------------------------------------------------------------------------------------
# The Hugging Face cache: only what the libraries can load counts


def _hub_repo(hf_home: Path, repo: str, files: dict[str, bytes], incomplete: bool = False) -> Path:
    folder = hf_home / "hub" / f"models--{repo.replace('/', '--')}"
    revision = "0" * 40
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(revision)
    snapshot_dir = folder / "snapshots" / revision
    blobs = folder / "blobs"
    blobs.mkdir(exist_ok=True)
    for name, data in files.items():
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        (snapshot_dir / name).parent.mkdir(parents=True, exist_ok=True)
        link = snapshot_dir / name
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(blobs / digest, link.parent))
    if incomplete:
        (blobs / ("f" * 64 + ".incomplete")).write_bytes(b"half")
    return folder


def test_interrupted_hf_download_loses_to_the_kit(kit, fresh_mode, tmp_path, monkeypatch, capsys):
    fresh_mode(False, "simulated: the Hub did not answer")  # auto mode, offline
    hf = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_DATASETS_CACHE", "HF_MODULES_CACHE"):
        monkeypatch.delenv(name, raising=False)
    repo = _hub_repo(hf, SENTIMENT, {"config.json": b"{}"}, incomplete=True)  # the download stopped after config.json
    assert resolve(SENTIMENT) == str(part_dir("sentiment"))
    assert "offline kit" in capsys.readouterr().out
    # weights without a tokenizer file, or with an unfinished blob, still lose
    _hub_repo(hf, SENTIMENT, {"model.safetensors": b"w"})
    assert not _in_hf_cache(lookup(SENTIMENT))
    _hub_repo(hf, SENTIMENT, {"tokenizer.json": b"{}", "vocab.txt": b"a"})
    assert not _in_hf_cache(lookup(SENTIMENT)), "an unfinished blob was ignored"
    for blob in repo.glob("blobs/*.incomplete"):
        blob.unlink()  # the download finished
    assert resolve(SENTIMENT) == SENTIMENT
    assert "local Hugging Face cache" in capsys.readouterr().out


def test_sharded_weights_count_only_when_every_shard_is_there(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    files = {"config.json": b"{}", "tokenizer.json": b"{}", "model.safetensors.index.json": json.dumps(index).encode(),
             "model-00001-of-00002.safetensors": b"1"}
    _hub_repo(tmp_path / "hf", SENTIMENT, files)
    assert not _in_hf_cache(lookup(SENTIMENT))
    _hub_repo(tmp_path / "hf", SENTIMENT, {"model-00002-of-00002.safetensors": b"2"})
    assert _in_hf_cache(lookup(SENTIMENT))


MODEL_PROBE = r"""
import json, shutil, sys
from pathlib import Path

from transformers import (
    AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertForSequenceClassification, BertTokenizerFast,
)

from helpers.catalog import lookup
from helpers.resolver import _in_hf_cache

work, repo = Path(sys.argv[1]), sys.argv[2]
vocab = work / "vocab.txt"
vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film"]) + "\n")
saved = work / "saved"
BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(saved)
config = BertConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                    max_position_embeddings=32)
BertForSequenceClassification(config).save_pretrained(saved)
repo_dir = work / "hf" / "hub" / f"models--{repo.replace('/', '--')}"
snapshot = repo_dir / "snapshots" / ("0" * 40)
snapshot.mkdir(parents=True)
(repo_dir / "refs").mkdir()
(repo_dir / "refs" / "main").write_text("0" * 40)

def state():
    try:
        AutoTokenizer.from_pretrained(repo)
        AutoModelForSequenceClassification.from_pretrained(repo)
        loads = True
    except Exception:
        loads = False
    return [loads, _in_hf_cache(lookup(repo))]

results = {}
shutil.copy(saved / "config.json", snapshot / "config.json")  # a download interrupted after config.json
results["config only"] = state()
for name in saved.iterdir():
    shutil.copy(name, snapshot / name.name)
results["complete"] = state()
print(json.dumps(results))
"""


def test_model_counts_as_cached_exactly_when_transformers_loads_it_offline(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "QUICKTOUR_MODE": "offline",
           "PYTHONPATH": str(REPO)}
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        env.pop(name, None)
    run = _run([sys.executable, "-c", MODEL_PROBE, str(tmp_path), SENTIMENT], env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    # [transformers loads it offline, resolve counts it as cached]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"config only": [False, False], "complete": [True, True]}


DATASET_PROBE = r"""
import json, shutil, sys
from pathlib import Path

from datasets import Dataset, load_dataset
from datasets.packaged_modules.parquet.parquet import Parquet

from helpers.resolver import _dataset_cached

work, cache = Path(sys.argv[1]), Path(sys.argv[2])  # cache is $HF_DATASETS_CACHE
Dataset.from_dict({"text": ["good", "bad"], "label": [1, 0]}).to_parquet(str(work / "rows.parquet"))

def prepare(repo, config, splits):
    # What load_dataset(repo[, config]) leaves online: an Arrow copy in
    # $HF_DATASETS_CACHE/<namespace>___<name>/<config>/<version>/<hash>/, prepared here from local parquet.
    name = repo.split("/")[-1]
    builder = Parquet(dataset_name=name, config_name=config, cache_dir=str(work / "prep" / config),
                      data_files={split: str(work / "rows.parquet") for split in splits}, hash="0123abcd")
    builder.download_and_prepare()
    info = json.loads(Path(builder.cache_dir, "dataset_info.json").read_text())
    assert info["config_name"] == config, info["config_name"]
    target = cache / repo.replace("/", "___") / config / "0.0.0" / "0123abcd"
    target.parent.mkdir(parents=True)
    Path(builder.cache_dir).rename(target)
    return target

def state(repo, config=None):
    try:
        load_dataset(repo, config) if config else load_dataset(repo)
        loads = True
    except Exception:
        loads = False
    try:  # as _in_hf_cache calls it: an unreadable cache counts as not cached
        cached = _dataset_cached(repo, config)
    except (OSError, ValueError):
        cached = False
    return [loads, cached]

results = {}
RT = "cornell-movie-review-data/rotten_tomatoes"
results["nothing"] = state(RT)
folder = prepare(RT, "default", ["train", "test"])
results["complete"] = state(RT)
(folder / "rotten_tomatoes-test.arrow").rename(work / "aside.arrow")
results["a split missing"] = state(RT)
(work / "aside.arrow").rename(folder / "rotten_tomatoes-test.arrow")
(folder / "dataset_info.json").rename(work / "info.json")
results["no dataset_info.json"] = state(RT)
LS = "hf-internal-testing/librispeech_asr_dummy"
prepare(LS, "clean", ["validation"])
results["one config, none named"] = state(LS)
prepare(LS, "other", ["validation"])
results["two configs, none named"] = state(LS)
results["two configs, one named"] = state(LS, "clean")
shutil.rmtree(cache / LS.replace("/", "___") / "clean")
results["the named config missing"] = state(LS, "clean")
print(json.dumps(results))
"""


def test_dataset_counts_as_cached_exactly_when_datasets_loads_it_offline(tmp_path):
    cache = tmp_path / "datasets"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
           "HF_DATASETS_CACHE": str(cache), "PYTHONPATH": str(REPO)}
    run = _run([sys.executable, "-c", DATASET_PROBE, str(tmp_path), str(cache)], env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout.strip().splitlines()[-1])
    # [datasets loads it offline, resolve counts it as cached]: both agree in every state
    assert results == {
        "nothing": [False, False],
        "complete": [True, True],
        "a split missing": [False, False],
        "no dataset_info.json": [False, False],
        "one config, none named": [True, True],
        "two configs, none named": [False, False],
        "two configs, one named": [True, True],
        "the named config missing": [False, False],
    }


METRIC_PROBE = r"""
import json, shutil, sys
from pathlib import Path

import evaluate

from helpers.catalog import lookup
from helpers.resolver import _in_hf_cache

modules, source = Path(sys.argv[1]), Path(sys.argv[2])

def state():
    try:
        loads = evaluate.load("accuracy").compute(predictions=[1, 0], references=[1, 1]) == {"accuracy": 0.5}
    except Exception:
        loads = False
    return [loads, _in_hf_cache(lookup("accuracy"))]

results = {"nothing": state()}
folder = modules / "evaluate_modules" / "metrics" / "evaluate-metric--accuracy" / ("a" * 64)
folder.mkdir(parents=True)
results["empty hash folder"] = state()  # a download interrupted before the script was written
shutil.copy(source, folder / "accuracy.py")
results["module"] = state()
print(json.dumps(results))
"""


def test_metric_counts_as_cached_exactly_when_evaluate_loads_it_offline(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_MODULES_CACHE": str(tmp_path / "modules"),
           "HF_HUB_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    source = REPO / "instructor_tools" / "kit" / "metric_modules" / "accuracy.py"
    run = _run([sys.executable, "-c", METRIC_PROBE, str(tmp_path / "modules"), str(source)], env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "nothing": [False, False], "empty hash folder": [False, False], "module": [True, True]
    }

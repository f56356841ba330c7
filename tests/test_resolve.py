import pytest

import helpers.resolver as resolve_module
from helpers import resolve
from helpers.catalog import CATALOG, known_names, lookup
from instructor_tools.kit import manifest
from helpers.offline_kit import PART_DIRS, part_dir
from helpers.resolver import KitMissingError, UnknownCheckpointError

SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


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


@pytest.mark.parametrize("bad, error", [(None, TypeError), (42, TypeError), (["a"], TypeError), ("", ValueError), ("  ", ValueError)])
def test_bad_input(fresh_mode, bad, error):
    with pytest.raises(error):
        resolve(bad)


def test_catalog_is_consistent():
    names = [n for e in CATALOG for n in (e.hub_id, *e.aliases)]
    assert len(names) == len(set(names)), "a name appears twice in the catalog"
    for entry in CATALOG:
        assert entry.part in PART_DIRS
        assert lookup(entry.hub_id) is entry
    assert lookup("rotten_tomatoes") is lookup("cornell-movie-review-data/rotten_tomatoes") is not None
    # the Hub ids the notebooks name, and no alias: an error message lists each checkpoint once
    assert {"distilbert/distilbert-base-uncased-finetuned-sst-2-english", "accuracy", "wer"} <= set(known_names())
    assert "evaluate-metric/accuracy" not in known_names() and "rotten_tomatoes" not in known_names()
    assert len(set(known_names())) == len(known_names())


def test_kit_lives_under_the_hf_home_unless_told_otherwise(monkeypatch, tmp_path):
    from helpers.offline_kit import RECIPE_VERSION, hf_home, kit_root

    monkeypatch.delenv("QUICKTOUR_KIT_HOME", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert hf_home() == tmp_path / "hf"
    assert kit_root() == tmp_path / "hf" / "quicktour-kit" / f"v{RECIPE_VERSION}"
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hf_home() == tmp_path / "xdg" / "huggingface"
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    assert kit_root() == tmp_path / "kit" / f"v{RECIPE_VERSION}"

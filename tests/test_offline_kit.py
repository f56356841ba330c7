"""Tests of ``helpers.offline_kit``: where the kit lives (the HF home, ``QUICKTOUR_KIT_HOME``, ``~``) and how a part's
record is read, including the fault cases of damaged records (on the small fake kit of test_kit_build.py)."""

from __future__ import annotations

import json

import pytest

from helpers import resolve
from helpers.offline_kit import RECIPE_VERSION, kit_root, part_dir
from helpers.resolver import KitDamagedError
from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from instructor_tools.kit import manifest
from tests.test_kit_build import FAKE_PARTS, REPAIR, SENTIMENT, builds, snapshot


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


def test_kit_home_with_a_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", "~/kit")
    monkeypatch.chdir(tmp_path)
    assert kit_root() == tmp_path / "home" / "kit" / f"v{RECIPE_VERSION}"
    kit_build.build(parts=FAKE_PARTS)
    assert not (tmp_path / "~").exists() and kit_build.verify(parts=FAKE_PARTS) == []


# ---------------------------------------------------------------------------------------------
# Damaged part records


DAMAGED_RECORDS = {
    "{}": "{}",
    "empty": "",
    "truncated": '{"facts": {}, "files": {"config.json": {"si',
    "null": "null",
    "files is a list": json.dumps({"facts": {}, "files": ["config.json"]}),
    "size is text": json.dumps({"facts": {}, "files": {"config.json": {"size": "20", "sha256": "0" * 64}}}),
    "path escapes": json.dumps({"facts": {}, "files": {"../../x": {"size": 1, "sha256": "0" * 64}}}),
}


@pytest.mark.parametrize("damage", DAMAGED_RECORDS)
def test_damaged_record_is_reported_refused_and_rebuilt(kit, offline, tmp_path, damage):
    (part_dir("sentiment") / manifest.RECORD).write_text(DAMAGED_RECORDS[damage])
    others = snapshot("encoder", "metric-accuracy")
    problems = kit_build.verify(parts=FAKE_PARTS)
    assert problems and all("component.json" in p and f"{REPAIR} --force sentiment" in p for p in problems)
    with pytest.raises(KitDamagedError, match=f"{REPAIR} --force sentiment"):
        resolve(SENTIMENT)
    assert kit_cli.main(["build"], parts=FAKE_PARTS) == 0  # used to crash with KeyError
    assert [part for _, part in builds(tmp_path / "builds.log")] == ["sentiment"]
    assert kit_build.verify(parts=FAKE_PARTS) == []
    assert snapshot("encoder", "metric-accuracy") == others
    assert resolve(SENTIMENT, quiet=True) == str(part_dir("sentiment"))

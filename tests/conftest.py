"""Fixtures for the helpers' unit tests (the offline environment is set in ../conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import mode


@pytest.fixture
def fresh_mode(monkeypatch):
    """A clean mode cache and environment; yields a function that sets the probe's answer."""
    for name in ("QUICKTOUR_MODE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    mode.reset_mode_cache()

    def answer(reachable: bool, why: str = "simulated") -> None:
        monkeypatch.setattr(mode, "_probe", lambda: (reachable, why))
        mode.reset_mode_cache()

    yield answer
    mode.reset_mode_cache()


@pytest.fixture
def empty_kit(monkeypatch, tmp_path):
    """An empty kit home in a temporary folder."""
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    return tmp_path / "kit"


@pytest.fixture(scope="session")
def classroom_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every Hub id the notebooks name, prefetched through olah and packed (once a session)."""
    from instructor_tools.hubserver import olah_installed
    from tests.hub.learner import classroom_archive as build

    if not olah_installed():
        pytest.fail("olah is not installed: run `make hub-server` (bash scripts/install-hub-server.sh)")
    return build(tmp_path_factory.mktemp("hub"))


@pytest.fixture(scope="module")
def hub_home(classroom_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learner's Hugging Face home, the archive unpacked into it: one for each test module, so what one
    module's runs write there (Datasets' caches, evaluate's modules) is not what another module's runs read."""
    from tests.hub.learner import unpacked_home

    return unpacked_home(classroom_archive, tmp_path_factory.mktemp("learner") / "hf-home")

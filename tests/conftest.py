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
def hub_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hugging Face home holding every Hub id the notebooks name, prefetched through olah (once a session)."""
    from helpers.hubserver import olah_installed
    from tests.hub.learner import prefetched_hub_home

    if not olah_installed():
        pytest.fail("olah is not installed: run `make hub-server` (bash scripts/install-hub-server.sh)")
    return prefetched_hub_home(tmp_path_factory.mktemp("hub"))

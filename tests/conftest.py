"""Fixtures for the helpers' unit tests (the offline environment is set in ../conftest.py)."""

from __future__ import annotations

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

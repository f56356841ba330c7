"""Fixtures for the helpers' unit tests (the offline environment is set in ../conftest.py)."""

from __future__ import annotations

import os
import shutil
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


# The small fake kit of the fault cases (its parts and helpers are in test_kit_build.py), used by the tests of
# instructor_tools.kit.build, helpers.resolver and helpers.offline_kit. test_kit_built.py's own ``kit`` fixture
# (the real kit) overrides this one there.


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from instructor_tools.kit import build as kit_build
    from tests.test_kit_build import FAKE_PARTS

    home = tmp_path_factory.mktemp("template") / "kit"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUICKTOUR_KIT_HOME", str(home))
        kit_build.build(parts=FAKE_PARTS)
    return home


@pytest.fixture
def kit(template, tmp_path, monkeypatch):
    """A fresh copy of the fake kit, as QUICKTOUR_KIT_HOME; builds are logged to ``kit / 'builds.log'``."""
    home = tmp_path / "kit"
    shutil.copytree(template, home, symlinks=True)
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(home))
    monkeypatch.setenv("FAULT_LOG", str(tmp_path / "builds.log"))
    return home


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    mode.reset_mode_cache()
    yield
    mode.reset_mode_cache()


@pytest.fixture(scope="session")
def classroom_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every Hub id the notebooks name, prefetched through olah and packed (once a run, shared by its workers)."""
    from instructor_tools.hubserver import olah_installed
    from tests.hub.learner import classroom_archive as build

    if not olah_installed():
        pytest.fail("olah is not installed: run `make hub-server` (bash scripts/install-hub-server.sh)")
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build(tmp_path_factory.mktemp("hub"))
    # pytest-xdist: the first worker to get here builds it in the folder all workers of this run share; the
    # others wait for it and use the same archive (it is only read).
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "hub"
    with FileLock(str(shared) + ".lock"):
        if not (shared / "classroom.tar").is_file():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            build(shared)
    return shared / "classroom.tar"


@pytest.fixture(scope="module")
def hub_home(classroom_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learner's Hugging Face home, the archive unpacked into it: one for each test module, so what one
    module's runs write there (Datasets' caches, evaluate's modules) is not what another module's runs read."""
    from tests.hub.learner import unpacked_home

    return unpacked_home(classroom_archive, tmp_path_factory.mktemp("learner") / "hf-home")

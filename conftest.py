"""Root pytest configuration: every test and every nbval kernel runs offline.

Set here, before anything imports huggingface_hub; nbval's kernels inherit the environment.
"""

import os

from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

os.environ.update(OFFLINE_QUIET_ENVIRONMENT)


def pytest_collection_finish(session) -> None:
    """Start the portability test's slow kit build in the background as soon as the test is collected (see
    ``tests/test_portability.py::OtherCpuKit``), when the kit it copies is there."""
    from helpers.offline_kit import kit_root

    if session.config.option.collectonly or not (kit_root() / "manifest.json").is_file():
        return
    from tests.test_portability import OTHER_CPU_TEST, OtherCpuKit

    if any(item.nodeid == OTHER_CPU_TEST for item in session.items):
        import tempfile
        from pathlib import Path

        session.config.other_cpu_kit = OtherCpuKit(Path(tempfile.mkdtemp(prefix="other-cpu-kit-")))


def pytest_unconfigure(config) -> None:
    started = getattr(config, "other_cpu_kit", None)
    if started is not None:
        started.stop()

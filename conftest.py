"""Root pytest configuration: every test and every nbval kernel runs offline, and parallel workers share the cores.

Set here, before anything imports huggingface_hub or torch; nbval's kernels and the tests' child processes inherit
the environment.
"""

import os

import pytest

from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

os.environ.update(OFFLINE_QUIET_ENVIRONMENT)

# Under pytest-xdist (`make test` runs two workers), each worker gets its share of the cores:
# two workers of two threads each on two cores wait on each other's threads (OpenMP), and the run is slower than
# one worker alone. The stored outputs hold at any thread count, as they must on a learner's machine.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ and "OMP_NUM_THREADS" not in os.environ:
    workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
# And each worker its own Datasets and evaluate caches: two workers mapping the same data set at once (lesson 05 and
# its solutions) moved each other's temporary cache files away (FileNotFoundError in Dataset.map, seen once).
if "PYTEST_XDIST_WORKER" in os.environ:
    import tempfile

    worker_caches = os.path.join(tempfile.gettempdir(), "quicktour-test-caches", os.environ["PYTEST_XDIST_WORKER"])
    os.environ["HF_DATASETS_CACHE"] = os.path.join(worker_caches, "datasets")
    os.environ["HF_MODULES_CACHE"] = os.path.join(worker_caches, "modules")


# ---- two streams for pytest-xdist ---------------------------------------------------------------------------------
# `make test` runs `pytest -n 2 --dist loadgroup`: tests/streams.py puts each test file and each notebook whole into
# one of two streams (a notebook's cells share one kernel, a module its fixtures), the longest first.


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown, and unused, under `-p no:xdist`
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """In the controller: with ``--dist loadgroup``, one work unit per stream (tests/streams.py) in place of xdist's
    own groups."""
    if config.option.dist != "loadgroup":
        return None
    from tests.streams import StreamScheduling

    return StreamScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In each worker: the longest files first, so that each stream starts with its longest (a notebook's cells, and
    a module's tests, keep their order: the sort is stable)."""
    if not getattr(config.option, "loadgroup", False):  # set in each worker by pytest-xdist for --dist loadgroup
        return
    from tests.streams import file_of, longest_first

    order = {name: rank for rank, name in enumerate(longest_first({file_of(item.nodeid) for item in items}))}
    items.sort(key=lambda item: order[file_of(item.nodeid)])

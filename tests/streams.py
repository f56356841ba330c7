"""How `make test` splits the suite into two streams (pytest-xdist ``--dist loadgroup``; the hook is in conftest.py).

Each test file and each notebook stays whole: a notebook's cells share one kernel, a module its fixtures. Files go
longest first onto the stream with the fewest seconds so far, from the seconds below, measured on 2 cores with one
thread per worker (2026-12-08). A file missing from the table counts 5 s; a wrong figure only makes one stream end
later than the other, never a test fail.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdist.scheduler import LoadScopeScheduling

SECONDS = {
    "tests/test_colab_cell.py": 470,
    "tests/test_portability.py": 430,
    "tests/test_train_script.py": 215,
    "tests/test_hub_path.py": 125,
    "tests/test_kit_built.py": 105,
    "tests/test_resolver.py": 20,
    "tests/hub/test_hub_server.py": 20,
    "notebooks/05_trainer.ipynb": 325,
    "notebooks/06_accelerate.ipynb": 125,
    "notebooks/extras/05_where_the_time_goes.ipynb": 75,
    "notebooks/extras/01_faster_pipelines.ipynb": 55,
    "notebooks/01_pipeline.ipynb": 45,
    "notebooks/solutions/06_accelerate_solutions.ipynb": 15,
    "notebooks/solutions/05_trainer_solutions.ipynb": 15,
    "notebooks/solutions/01_pipeline_solutions.ipynb": 10,
}
UNLISTED = 5


def seconds(name: str) -> float:
    """The measured seconds of a test file or notebook (its path from the repository root), or UNLISTED."""
    return SECONDS.get(name, UNLISTED)


def longest_first(files: Iterable[str]) -> list[str]:
    """``files``, longest first, then by name: the same order in every worker."""
    return sorted(files, key=lambda name: (-seconds(name), name))


def streams(files: Iterable[str], count: int = 2) -> dict[str, int]:
    """{file: stream number}: the longest first, each onto the stream with the fewest seconds so far."""
    load = [0.0] * count
    chosen: dict[str, int] = {}
    for name in longest_first(files):
        chosen[name] = min(range(count), key=lambda stream: (load[stream], stream))
        load[chosen[name]] += seconds(name)
    return chosen


def file_of(nodeid: str) -> str:
    """The test file or notebook of a test's node id (``notebooks/05_trainer.ipynb::Cell 11``)."""
    return nodeid.split("::")[0]


class StreamScheduling(LoadScopeScheduling):
    """pytest-xdist's scheduling by scope, with one scope per stream (conftest.py's ``pytest_xdist_make_scheduler``)."""

    stream_of: dict[str, int] = {}

    def schedule(self) -> None:
        if self.collection is None and self.registered_collections:
            nodeids = next(iter(self.registered_collections.values()))
            self.stream_of = streams({file_of(nodeid) for nodeid in nodeids}, count=max(1, len(self.nodes)))
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        return f"stream-{self.stream_of[file_of(nodeid)]}"

"""tests/streams.py: the two streams of `make test` keep each file whole and come out near even."""

from __future__ import annotations

from pathlib import Path

from tests.streams import SECONDS, UNLISTED, longest_first, seconds, streams

ROOT = Path(__file__).resolve().parents[1]


def test_every_listed_file_exists() -> None:
    missing = [name for name in SECONDS if not (ROOT / name).is_file()]
    assert not missing, f"tests/streams.py lists files that are gone: {missing}"


def test_the_longest_go_first_onto_the_lighter_stream() -> None:
    chosen = streams(["a", "tests/test_colab_cell.py", "tests/test_portability.py", "notebooks/05_trainer.ipynb", "b"])
    assert chosen["tests/test_colab_cell.py"] != chosen["tests/test_portability.py"]
    load = [sum(seconds(f) for f, s in chosen.items() if s == stream) for stream in (0, 1)]
    assert abs(load[0] - load[1]) <= max(SECONDS.values())


def test_the_whole_suite_splits_within_a_minute_of_even() -> None:
    files = [str(p.relative_to(ROOT)) for p in [*ROOT.glob("tests/test_*.py"), *ROOT.glob("notebooks/**/*.ipynb")]]
    chosen = streams(files)
    assert set(chosen) == set(files)
    load = [sum(seconds(f) for f, s in chosen.items() if s == stream) for stream in (0, 1)]
    assert abs(load[0] - load[1]) <= 60, load


def test_unlisted_files_count_a_few_seconds_and_the_order_is_the_same_each_time() -> None:
    assert seconds("tests/test_new.py") == UNLISTED
    assert longest_first(["b", "a", "tests/test_hub_path.py"]) == ["tests/test_hub_path.py", "a", "b"]

"""instructor_tools.kit.build.Beside: a kit part built in a child process while the build goes on (the language
model beside the classifier); its facts come back, and a failed child stops the build with nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from instructor_tools.kit import build as kit_build


def writes_a_file(out: Path, log) -> dict:  # noqa: ANN001 (a kit builder's signature)
    log("writing")
    (out / "weights.bin").write_bytes(b"\0" * 8)
    return {"rows": 3}


def fails(out: Path, log) -> dict:  # noqa: ANN001
    (out / "half.bin").write_bytes(b"\0")
    raise RuntimeError("the child's own error")


def test_the_childs_part_and_facts_come_back(empty_kit, capfd) -> None:
    child = kit_build.Beside("causal-lm", "9/9 causal-lm", writes_a_file)
    staging, facts = child.finish()
    assert (staging / "weights.bin").read_bytes() == b"\0" * 8
    assert facts["rows"] == 3 and facts["build_seconds"] >= 0 and facts["beside"] == "sentiment"
    assert "[kit] 9/9 causal-lm: writing" in capfd.readouterr().out
    assert not child.facts_file.exists()


def test_a_failed_child_raises_and_leaves_nothing(empty_kit, capfd) -> None:
    child = kit_build.Beside("causal-lm", "9/9 causal-lm", fails)
    with pytest.raises(RuntimeError, match="child process failed.*--force causal-lm"):
        child.finish()
    assert "the child's own error" in capfd.readouterr().err
    assert not child.staging.exists() and not child.facts_file.exists()


def test_build_commits_the_part_built_beside(empty_kit, monkeypatch, capfd) -> None:
    """The build loop's own path: the language model starts in a child when the classifier's turn comes, and is
    committed, with its facts, when the loop reaches it (fake builders; the real ones take minutes)."""
    from helpers.offline_kit import part_dir

    monkeypatch.setattr(kit_build, "_real_builder", lambda table, part: part in table)
    monkeypatch.setattr(kit_build.os, "cpu_count", lambda: 2)
    written = kit_build.build(parts={name: writes_a_file for name in kit_build.PART_DIRS})
    out = capfd.readouterr().out
    assert out.index("causal-lm: building in a child process") < out.index("sentiment: building")
    assert "causal-lm: done in" in out and "(beside sentiment)" in out
    assert written["parts"]["causal-lm"]["facts"]["beside"] == "sentiment"
    assert "beside" not in written["parts"]["sentiment"]["facts"]
    assert (part_dir("causal-lm") / "weights.bin").is_file()
    assert kit_build.verify() == []

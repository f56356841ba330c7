"""Tests of ``instructor_tools.envcheck``: each requirement line is reported as met, unmet or not installed."""

from __future__ import annotations

from instructor_tools.envcheck import check_requirements


def test_envcheck_reports_ok_and_fail():
    results = check_requirements(["# comment", "", "pytest>=1", "pytest<1", "surely-not-installed-pkg>=1"])
    assert [ok for ok, _ in results] == [True, False, False]
    assert "not installed" in results[2][1]

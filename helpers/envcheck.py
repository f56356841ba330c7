"""``python -m helpers.envcheck``: one [OK]/[FAIL] line per required package.

Reads requirements.txt at the repository root, so a learner can diagnose an install in one
step (``make check-env``). Exits 1 when anything fails.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def check_requirements(lines: list[str]) -> list[tuple[bool, str]]:
    """(ok, message) for each requirement line; comments and blanks are skipped."""
    results = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            results.append((False, f"{req.name}: not installed (wants {req.specifier or 'any version'})"))
            continue
        ok = req.specifier.contains(version, prereleases=True)
        wants = f", wants {req.specifier}" if not ok else ""
        results.append((ok, f"{req.name} {version}{wants}"))
    return results


def main() -> int:
    if not REQUIREMENTS.is_file():
        print(f"[FAIL] {REQUIREMENTS} not found: run this from a clone of the repository")
        return 1
    results = check_requirements(REQUIREMENTS.read_text().splitlines())
    for ok, message in results:
        print(f"[{'OK' if ok else 'FAIL'}] {message}")
    failed = sum(not ok for ok, _ in results)
    print("environment OK" if not failed else f"{failed} problem(s): run `make setup`")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m instructor_tools.envcheck``: one [OK]/[FAIL] line per required package, then the offline kit's state.

Reads requirements.txt at the repository root, so a learner can diagnose an install in one
step (``make check-env``). The kit is reported as built, imported, missing or damaged, with the
command that fixes it (a quick check of file sizes; ``make verify-kit`` hashes every file).
Exits 1 when anything fails.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # a venv with nothing installed yet: pip carries its own copy
    from pip._vendor.packaging.requirements import Requirement

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


def kit_state() -> tuple[bool, str]:
    """(ok, message) for the offline kit of this checkout's recipe version."""
    from instructor_tools.kit.build import verify
    from helpers.offline_kit import RECIPE_VERSION, kit_root
    from instructor_tools.kit.transfer import IMPORTED

    root = kit_root()
    if not root.exists():
        return False, f"offline kit v{RECIPE_VERSION}: missing at {root}; build it with `make kit` (or import one: python -m instructor_tools.kit import kit.tar)"
    problems = verify(deep=False)
    if problems:
        return False, f"offline kit v{RECIPE_VERSION}: damaged ({len(problems)} problem(s)); the first: {problems[0]}"
    how = "imported" if (root / IMPORTED).is_file() else "built"
    return True, f"offline kit v{RECIPE_VERSION}: {how}, intact (file sizes) at {root}"


def main() -> int:
    if not REQUIREMENTS.is_file():
        print(f"[FAIL] {REQUIREMENTS} not found: run this from a clone of the repository")
        return 1
    results = check_requirements(REQUIREMENTS.read_text().splitlines())
    for ok, message in results:
        print(f"[{'OK' if ok else 'FAIL'}] {message}")
    failed = sum(not ok for ok, _ in results)
    if not failed:  # the kit's check imports the helpers' dependencies
        kit_ok, kit_message = kit_state()
        print(f"[{'OK' if kit_ok else 'FAIL'}] {kit_message}")
        failed += not kit_ok
    print("environment OK" if not failed else f"{failed} problem(s): run `make setup`, or the command named above")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

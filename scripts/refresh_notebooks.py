"""Re-execute notebooks in place (``make refresh``), so their stored outputs come from a real run.

Runs each notebook top to bottom in a fresh kernel of this environment, from notebooks/,
without timing metadata, and stops at the first error.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.mode import OFFLINE_QUIET_ENVIRONMENT


def refresh(path: Path) -> float:
    """Execute ``path`` in place; returns the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    nb.metadata.pop("widgets", None)  # widget state is large and changes on every run
    nbformat.write(nb, path)
    return time.monotonic() - start


def main(paths: list[str]) -> int:
    os.environ.update(OFFLINE_QUIET_ENVIRONMENT)  # the same environment as `make test`: kernels inherit it
    for name in paths:
        print(f"refreshing {name} ...", flush=True)
        print(f"  done in {refresh(Path(name)):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

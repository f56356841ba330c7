"""Execute notebooks top to bottom in fresh kernels, without comparing outputs (the Hub-ids run).

    python tests/hub/run_notebooks.py [--kernel NAME] OUT_DIR NOTEBOOK [NOTEBOOK ...]

Each notebook is copied into OUT_DIR and run there (so its ``outputs/`` folder lands there too), in a
kernel that inherits this process's environment: the ``python3`` kernel (this interpreter) unless ``--kernel``
names another kernelspec (the Colab test's fresh environment). The executed copy is saved in OUT_DIR. Prints one
JSON line per notebook ({"notebook", "seconds", "error"}) and exits 1 at the first cell error.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(notebook: Path, out_dir: Path, kernel: str = "python3") -> dict[str, object]:
    """Run one notebook in ``out_dir``; returns its timing and the error, if any."""
    copy = out_dir / notebook.name
    shutil.copy2(notebook, copy)
    nb = nbformat.read(copy, as_version=4)
    client = NotebookClient(nb, timeout=1200, kernel_name=kernel, resources={"metadata": {"path": str(out_dir)}})
    start = time.monotonic()
    error = None
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc)[-3000:]
    nbformat.write(nb, copy)
    return {"notebook": notebook.name, "seconds": round(time.monotonic() - start, 1), "error": error}


def main(argv: list[str]) -> int:
    kernel = "python3"
    if argv[:1] == ["--kernel"]:
        kernel, argv = argv[1], argv[2:]
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in argv[1:]:
        result = run(Path(name), out_dir, kernel)
        print(json.dumps(result), flush=True)
        if result["error"]:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

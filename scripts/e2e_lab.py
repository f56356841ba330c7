"""JupyterLab in a real browser (``make e2e``): notebook 02 run by headless Chromium, as a learner would.

Starts JupyterLab on a free loopback port with a token (offline kit, like the tests), opens a copy of
notebook 02 in Debian's Chromium through chromedriver (Selenium; no browser download), runs all cells,
then checks that:

- every code cell ran and none shows an error (read from the page, and from the notebook saved by the browser);
- the tokenizer explorer renders, and redraws its token table when text is typed into its box.

Saves a screenshot of the explorer to ``outputs/e2e-tokenizer-explorer.png``. JupyterLab and the browser
are stopped on exit, also on failure. Exits 1 with the reason when a check fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "02_autoclass.ipynb"
SCREENSHOT = ROOT / "outputs" / "e2e-tokenizer-explorer.png"  # the whole JupyterLab window
WIDGET_SHOT = ROOT / "outputs" / "e2e-tokenizer-widget.png"  # the explorer alone
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TYPED = "Tokenizers love emoji 🤗"


class E2EFailure(AssertionError):
    """A check of the browser run failed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 0.5):
    """Call ``check()`` until it returns something true; E2EFailure naming ``what`` after ``timeout`` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise E2EFailure(f"timed out after {timeout:.0f} s waiting for {what}")


@contextlib.contextmanager
def jupyterlab(folder: Path) -> Iterator[str]:
    """JupyterLab serving ``folder`` on loopback; yields the URL of the notebook, token included."""
    from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, **OFFLINE_QUIET_ENVIRONMENT}
    log = open(folder / "jupyterlab.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=False"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        def up() -> bool:
            if server.poll() is not None:
                raise E2EFailure(f"JupyterLab exited: {(folder / 'jupyterlab.log').read_text()[-2000:]}")
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2).status == 200
            except OSError:
                return False

        wait_for("JupyterLab to answer", up, timeout=90)
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}?token={token}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[object]:
    """Headless Debian Chromium driven by chromedriver; quits on exit."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download a browser or driver
    from selenium import webdriver

    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            raise E2EFailure(f"{program} is missing: run `make system-deps` (Debian packages chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1100", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# What the browser's notebook model holds for each code cell: its execution count and its outputs' types.
CELLS_JS = """
const notebook = window.jupyterapp.shell.currentWidget.content;
return notebook.widgets.filter(cell => cell.model.type === 'code').map(cell => ({
  count: cell.model.executionCount,
  errors: cell.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
}));
"""


def run_notebook(driver, url: str) -> float:
    """Open the notebook, run all cells, wait until every code cell has run; returns the seconds it took."""
    driver.get(url)
    wait_for("the notebook and its kernel", lambda: driver.execute_script(
        "const app = window.jupyterapp; const w = app && app.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle')"), timeout=120)
    start = time.monotonic()
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def finished() -> bool:  # every cell ran, or one failed (JupyterLab then stops running the others)
        cells = driver.execute_script(CELLS_JS)
        return bool(cells) and (all(c["count"] for c in cells) or any(c["errors"] for c in cells))

    wait_for("every cell to run", finished, timeout=420, every=1)
    return time.monotonic() - start


def check_no_errors(driver, folder: Path) -> int:
    """No error output on the page, nor in the notebook as the browser saves it; returns the code cell count."""
    cells = driver.execute_script(CELLS_JS)
    shown = [error for cell in cells for error in cell["errors"]]
    if shown:
        raise E2EFailure(f"{len(shown)} cell(s) show an error, the first: {shown[0][:300]}")
    if not all(cell["count"] for cell in cells):
        raise E2EFailure("some cells never ran")
    driver.execute_script("window.jupyterapp.commands.execute('docmanager:save')")
    saved = folder / NOTEBOOK

    def saved_with_outputs():
        nb = json.loads(saved.read_text())
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        return cells if all(c.get("execution_count") for c in cells) else None

    cells = wait_for("the browser to save the executed notebook", saved_with_outputs, timeout=30)
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise E2EFailure(f"the saved notebook holds {len(errors)} error(s): {errors[0].get('ename')}: {errors[0].get('evalue')}")
    return len(cells)


def check_explorer(driver) -> tuple[str, str]:
    """Type into the tokenizer explorer's box; its token table must redraw. Returns (before, after)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    boxes = wait_for("the tokenizer explorer's text box", lambda: driver.find_elements(By.CSS_SELECTOR, ".widget-text input"), 60)
    box = boxes[0]
    view = box.find_element(By.XPATH, "ancestor::div[contains(@class,'widget-vbox')][1]//div[contains(@class,'widget-html-content')]")
    # JupyterLab asks, in a toast, whether to fetch its news: answer no, so the toast does not cover the picture
    for button in driver.find_elements(By.XPATH, "//div[contains(@class,'Toastify')]//button[normalize-space()='No']"):
        button.click()
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    before = view.text
    if "[CLS]" not in before:
        raise E2EFailure(f"the explorer shows no token table: {before[:200]!r}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(TYPED)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    try:
        after = wait_for("the token table to redraw after typing",
                         lambda: view.text if "love" in view.text and view.text != before else None, timeout=30)
    finally:  # the picture helps most when the check fails
        driver.save_screenshot(str(SCREENSHOT))
        widget = box.find_element(By.XPATH, "ancestor::div[contains(@class,'widget-vbox')][1]")
        widget.screenshot(str(WIDGET_SHOT))
    return before, after


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="quicktour-e2e-"))
    try:
        shutil.copy2(ROOT / "notebooks" / NOTEBOOK, work / NOTEBOOK)
        started = time.monotonic()
        with jupyterlab(work) as url, chromium(work / "chromium-profile") as driver:
            seconds = run_notebook(driver, url)
            cells = check_no_errors(driver, work)
            before, after = check_explorer(driver)
        print(f"e2e: {NOTEBOOK} ran {cells} code cells in headless Chromium in {seconds:.0f} s, no cell shows an error")
        print(f"e2e: the tokenizer explorer redrew after typing {TYPED!r}:")
        print("  " + "\n  ".join(after.splitlines()[:4]))
        print(f"e2e: screenshots {SCREENSHOT.relative_to(ROOT)}, {WIDGET_SHOT.relative_to(ROOT)}; "
              f"whole run {time.monotonic() - started:.0f} s")
        return 0
    except E2EFailure as exc:
        print(f"e2e FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""A real Hugging Face Hub server (PyPI ``olah``): the Hub-ids test's fixture server, and ``instructor_tools.classroom serve``.

``HubServer(mirror_dir)`` writes olah's ``configs.toml`` into a temporary folder, starts
``olah-cli -c configs.toml`` in its own process group, waits until it answers HTTP and exposes
``.endpoint`` (``http://127.0.0.1:<port>``). Leaving the ``with`` block (normally or by an
exception), ``stop()``, garbage collection and interpreter exit all stop the whole process group.

olah runs from its own virtual environment (``.venv-hub``, made by ``scripts/install-hub-server.sh``):
its dependency fastapi-utils pins psutil < 6, which must not leak into the learner's venv.

Clients: set ``HF_ENDPOINT=<endpoint>`` and a fresh ``HF_HOME`` (see ``client_env``) *before*
importing huggingface_hub, which reads them once at import. Known difference from the Hub: olah
answers 401 (RepositoryNotFound) where the Hub answers 404 for a file missing from a repository,
so ``from_pretrained`` online through olah fails on optional files; prefetch with
``snapshot_download`` and load with ``HF_HUB_OFFLINE=1`` from the same ``HF_HOME``
(``offline_env``).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[1]
HUB_VENV_VARIABLE = "QUICKTOUR_HUB_VENV"  # overrides the default <repo>/.venv-hub
OLAH_VERSION = "0.5.4"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 40

# Variables a client must not inherit when talking to the server (tests run with an offline
# environment, see conftest.py), and the ones it may inherit from a user's setup that would
# send it elsewhere or past the cache.
_CLIENT_VARIABLES_TO_DROP = (
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_EVALUATE_OFFLINE",
    "HF_ENDPOINT",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HF_MODULES_CACHE",
    "HF_EVALUATE_CACHE",
    "TRANSFORMERS_CACHE",
    "HF_TOKEN",
    "HF_TOKEN_PATH",
    "HF_HUB_ENABLE_HF_TRANSFER",
)


class HubServerError(RuntimeError):
    """The local Hub server could not start (port taken, olah missing or crashed, time-out)."""


# --------------------------------------------------------------------------- olah environment


def hub_venv() -> Path:
    """The virtual environment olah is installed in: ``$QUICKTOUR_HUB_VENV`` or ``<repo>/.venv-hub``."""
    return Path(os.environ.get(HUB_VENV_VARIABLE) or REPO_ROOT / ".venv-hub")


def olah_python() -> Path:
    """The Python interpreter of olah's own venv; FileNotFoundError saying how to install it."""
    python = hub_venv() / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(_install_hint(python))
    return python


def olah_cli() -> Path:
    """The ``olah-cli`` program of olah's own venv; FileNotFoundError saying how to install it."""
    cli = hub_venv() / "bin" / "olah-cli"
    if not cli.exists():
        raise FileNotFoundError(_install_hint(cli))
    return cli


def olah_installed() -> bool:
    """True when ``olah-cli`` is present in olah's venv."""
    return (hub_venv() / "bin" / "olah-cli").exists()


def _install_hint(missing: Path) -> str:
    return (
        f"{missing} is missing: the local Hub server (PyPI olah=={OLAH_VERSION}) lives in its own venv. "
        f"Install it with: bash {REPO_ROOT / 'scripts' / 'install-hub-server.sh'}"
    )


# --------------------------------------------------------------------------- ports and config


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = HOST) -> bool:
    """True when ``port`` on ``host`` cannot be bound (another server listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is no obstacle
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _toml_string(value: str | Path) -> str:
    """A TOML basic string (JSON escaping is valid TOML for paths and hosts)."""
    return json.dumps(str(value))


def write_config(work_dir: Path, mirror_dir: Path | None, port: int, host: str = HOST, offline: bool = True) -> Path:
    """olah's ``configs.toml`` in ``work_dir``, every repo allowed.

    ``offline=True`` (tests): serve the git repositories under ``mirror_dir`` and nothing else.
    ``offline=False`` (a classroom): a caching proxy of the real Hub, keeping what it fetched in
    ``work_dir/repos``, so the room downloads each file from the Internet once.
    """
    mirrors = f"[{_toml_string(mirror_dir)}]" if mirror_dir else "[]"
    config = f"""\
[basic]
host = {_toml_string(host)}
port = {int(port)}
repos-path = {_toml_string(work_dir / "repos")}
mirror-scheme = "http"
mirror-netloc = {_toml_string(f"{host}:{port}")}
mirror-lfs-netloc = {_toml_string(f"{host}:{port}")}
mirrors-path = {mirrors}

[accessibility]
offline = {"true" if offline else "false"}

# Without these rules olah answers 401 for every repository.
[[accessibility.proxy]]
repo = "*"
allow = true

[[accessibility.proxy]]
repo = "*/*"
allow = true

[[accessibility.cache]]
repo = "*"
allow = true

[[accessibility.cache]]
repo = "*/*"
allow = true
"""
    path = work_dir / "configs.toml"
    path.write_text(config)
    return path


# --------------------------------------------------------------------------- client environments


def client_env(endpoint: str, hf_home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess that downloads through the server into ``hf_home``.

    ``base`` (default: ``os.environ``) minus every offline switch, cache location and token,
    plus ``HF_ENDPOINT=endpoint`` and ``HF_HOME=hf_home``. Set it before huggingface_hub is imported.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _CLIENT_VARIABLES_TO_DROP}
    env.update({"HF_ENDPOINT": endpoint, "HF_HOME": str(hf_home)})
    # evaluate.load() would also HEAD an S3 bucket to count downloads, and huggingface_hub send
    # telemetry: neither belongs in a test that must not leave the machine.
    env.update({"HF_UPDATE_DOWNLOAD_COUNTS": "0", "HF_HUB_DISABLE_TELEMETRY": "1"})
    return env


def offline_env(hf_home: Path, base: Mapping[str, str] | None = None, endpoint: str | None = None) -> dict[str, str]:
    """Environment for a subprocess that loads what was prefetched into ``hf_home``, without network.

    ``HF_HUB_OFFLINE=1`` (huggingface_hub, transformers, 🤗 Datasets), ``HF_DATASETS_OFFLINE=1`` and
    ``HF_EVALUATE_OFFLINE=1`` (evaluate ignores HF_HUB_OFFLINE: without it, ``evaluate.load`` still
    asks the endpoint). ``HF_ENDPOINT`` is set only if ``endpoint`` is given (not needed: checked
    with and without).

    What must have been prefetched online into ``hf_home``: models with ``snapshot_download``;
    datasets with ``load_dataset`` (a ``snapshot_download`` alone is not enough for 🤗 Datasets
    offline); metrics with ``evaluate.load`` (it fills ``HF_HOME/modules``, which ``snapshot_download``
    does not).
    """
    env = client_env(endpoint or "http://127.0.0.1:9", hf_home, base)
    if endpoint is None:
        env.pop("HF_ENDPOINT")
    env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"})
    return env


# --------------------------------------------------------------------------- the server


class HubServer:
    """olah serving ``mirror_dir`` at ``http://127.0.0.1:<port>``; a context manager.

    ``port=None`` picks a free loopback port. Raises HubServerError if the port is taken (before
    starting olah), if olah exits early (with the tail of its log) or does not answer within
    ``startup_timeout`` seconds; FileNotFoundError if ``mirror_dir`` or olah's venv is missing.
    """

    def __init__(
        self, mirror_dir: Path, port: int | None = None, startup_timeout: float = STARTUP_TIMEOUT_S
    ) -> None:
        self.mirror_dir = Path(mirror_dir).resolve()
        self.requested_port = port
        self.port: int | None = None
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.work_dir: Path | None = None
        self.startup_seconds: float | None = None

    # -- public API

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``; only while the server runs."""
        if self.port is None or not self.running:
            raise HubServerError("the Hub server is not running: use `with HubServer(...) as server:`")
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """True while olah's process is alive."""
        return self.process is not None and self.process.poll() is None

    @property
    def log_path(self) -> Path | None:
        """olah's combined stdout/stderr (in the temporary work folder; removed by ``stop``)."""
        return None if self.work_dir is None else self.work_dir / "olah.log"

    def start(self) -> HubServer:
        """Check the mirror and port, write the config, start olah, wait until it answers."""
        if self.process is not None:
            raise HubServerError("this HubServer was already started; make a new one")
        self._check_mirror_dir()
        port = self._choose_port()
        cli = olah_cli()
        started = time.monotonic()
        self.work_dir = Path(tempfile.mkdtemp(prefix="quicktour-olah-"))
        config = write_config(self.work_dir, self.mirror_dir, port)
        self.port = port
        with open(self.work_dir / "olah.log", "wb") as log:
            self.process = subprocess.Popen(
                [str(cli), "-c", str(config), "--log-path", str(self.work_dir / "logs")],
                cwd=self.work_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=_server_env(), start_new_session=True,
            )  # fmt: skip
        atexit.register(self.stop)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Stop olah's whole process group (TERM, then KILL) and remove the work folder. Idempotent."""
        process, self.process = self.process, None
        if process is not None:
            _kill_group(process)
        atexit.unregister(self.stop)
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of olah's log ("" when there is none)."""
        path = self.log_path
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:  # noqa: BLE001 - best effort at garbage collection
            pass

    def __repr__(self) -> str:
        where = f"http://{HOST}:{self.port}" if self.running else "stopped"
        return f"HubServer({str(self.mirror_dir)!r}, {where})"

    # -- steps

    def _check_mirror_dir(self) -> None:
        if not self.mirror_dir.is_dir():
            raise FileNotFoundError(
                f"the Hub server's mirror folder {self.mirror_dir} does not exist: build it first "
                "(tests.hub.fixtures.build_fixtures(mirror_dir))"
            )

    def _choose_port(self) -> int:
        if self.requested_port is None:
            return free_port()
        if port_in_use(self.requested_port):
            raise HubServerError(
                f"port {self.requested_port} on {HOST} is already in use: the local Hub server cannot "
                "listen there. Stop whatever listens on it, or pass port=None to pick a free port."
            )
        return int(self.requested_port)

    def _wait_until_ready(self) -> None:
        """Poll ``GET /`` until olah answers; raise if it exits or the deadline passes."""
        assert self.process is not None and self.port is not None
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://{HOST}:{self.port}/"
        while True:
            code = self.process.poll()
            if code is not None:
                raise HubServerError(
                    f"olah exited with code {code} before answering on port {self.port}. "
                    f"End of its log:\n{self.log_tail()}"
                )
            if _answers(url):
                return
            if time.monotonic() > deadline:
                raise HubServerError(
                    f"olah did not answer on {url} within {self.startup_timeout:.0f} s. End of its log:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)


def _server_env() -> dict[str, str]:
    """olah's environment: no proxies for loopback, unbuffered output, no learner-venv leakage."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = env["no_proxy"] = ",".join(filter(None, [HOST, "localhost", env.get("NO_PROXY", "")]))
    return env


def _answers(url: str, timeout: float = 1.0) -> bool:
    """True when an HTTP server answers ``url`` (any status)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group of ``process``, SIGKILL it if it lingers, and reap ``process``.

    ``process`` was started with ``start_new_session=True``, so its group id is its pid.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # anything olah left behind in its group
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def serve_forever(cache: Path, host: str = "0.0.0.0", port: int = 8090) -> None:
    """Run olah in the foreground as a caching proxy of the real Hub (``instructor_tools.classroom serve``).

    What it fetches is kept under ``cache``, so the room downloads each file from the Internet once.
    Stops on Ctrl-C. Learners point their notebooks at it with ``HF_ENDPOINT=http://<this machine>:<port>``.
    """
    if port_in_use(port, "127.0.0.1"):
        raise HubServerError(f"port {port} is already in use: pick another with --port")
    cache = Path(cache).expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    config = write_config(cache, None, port, host=host, offline=False)
    print(f"serving the Hub through olah at http://{host}:{port} (cache: {cache}); Ctrl-C stops it")
    print(f"on each learner's machine, before starting Jupyter: export HF_ENDPOINT=http://<this machine's address>:{port}")
    try:
        subprocess.run([str(olah_cli()), "-c", str(config), "--log-path", str(cache / "logs")], cwd=cache, env=_server_env())
    except KeyboardInterrupt:
        pass

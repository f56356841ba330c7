"""Hub or offline: which one this process uses, and why (used by every notebook).

The mode comes from the environment variable ``QUICKTOUR_MODE``:

- ``hub``: always use the Hub ids the quicktour names;
- ``offline``: always use the offline kit (CI, a classroom without Wi-Fi);
- ``auto`` (default): ask the Hub once (one 2-second deadline for DNS, connect and answer; only
  an answer shaped like its API's counts, not a captive portal's HTML page or a proxy's other JSON), and fall
  back to the local Hugging Face cache or the kit when it does not answer.

The decision is made once per process and cached. When it is "offline", ``HF_HUB_OFFLINE=1``
is exported so that transformers/datasets never wait on the network; that only works if it
happens before huggingface_hub is imported, which is why notebooks call ``helpers.setup()``
in their first cells.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import lru_cache

MODE_VARIABLE = "QUICKTOUR_MODE"
MODES = ("auto", "hub", "offline")
DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT_S = 2.0  # one deadline for the whole probe: DNS, connect, request and reading the answer
# Asked at once; a Hub-shaped JSON answer to either (HUB_FIELDS) means the Hub API answered. The Hub answers
# whoami-v2 itself (401 and a JSON error without a token); a Hub mirror such as olah forwards
# whoami-v2 upstream (504 with no body when it is offline) but answers repository info itself
# (200, or 401 "Repository not found", in JSON).
PROBE_PATHS = ("/api/whoami-v2", "/api/models/distilbert/distilbert-base-uncased")
# What huggingface_hub reads from those answers: an error's "error" message (hf_raise_for_status, at any status),
# the user's "name" (whoami), the repository's "id" (model_info). A JSON answer without the field is not the Hub.
HUB_FIELDS = {"/api/whoami-v2": "name"}  # any other probe path: "id"
PROBE_BODY_LIMIT = 256 * 1024  # a whole answer is parsed, never a cut one (a repository's info is a few kB)


@dataclass(frozen=True)
class Mode:
    """The settled mode: ``name`` is "hub" or "offline"; ``reason`` says why, for the learner."""

    name: str
    reason: str
    forced: bool = False  # True when QUICKTOUR_MODE named it: then resolve() skips the HF cache check

    @property
    def offline(self) -> bool:
        return self.name == "offline"


def requested_mode() -> str:
    """The mode asked for in ``QUICKTOUR_MODE`` (auto when unset).

    Raises ValueError for anything but auto, hub or offline.
    """
    value = os.environ.get(MODE_VARIABLE, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(
            f"{MODE_VARIABLE}={value!r} is not a mode; use one of {', '.join(MODES)} "
            f"(for example: export {MODE_VARIABLE}=offline)"
        )
    return value


def hub_endpoint() -> str:
    """The Hub address huggingface_hub would use (HF_ENDPOINT, else huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def probe_hub(endpoint: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Ask the Hub once whether it answers; returns (reachable, one-line explanation).

    Reachable means: the Hub API answered with a JSON object shaped like the Hub's (``_hub_shaped``: an
    ``error`` message at any status, since the Hub says 401 to a request without a token, or the user's ``name``
    or the repository's ``id`` with 200). Other JSON (a lone ``{``, ``[]``, a proxy's own status object), HTML
    (a captive portal's login page), an empty body, a refused
    connection, a DNS failure or a server too slow to answer do not count. Everything (DNS lookup,
    connect, request, reading) shares one deadline of ``timeout`` seconds: the requests run in
    daemon threads and whatever has not answered by then is abandoned and its socket shut.
    """
    base = (endpoint or hub_endpoint()).rstrip("/")
    start = time.monotonic()
    deadline = start + timeout
    answers: queue.Queue[tuple[bool, int, str]] = queue.Queue()
    connections: list[http.client.HTTPConnection] = []
    for rank, path in enumerate(PROBE_PATHS):
        threading.Thread(
            target=_ask, args=(base + path, rank, deadline, answers, connections), name="hub-probe", daemon=True
        ).start()
    failures: list[tuple[int, str]] = []
    try:
        while len(failures) < len(PROBE_PATHS):
            try:
                ok, rank, what = answers.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if ok:
                return True, f"{base} answered"
            failures.append((rank, what))
    finally:
        for connection in connections[:]:  # a copy: probe threads may still append
            _abandon(connection)
    seconds = time.monotonic() - start
    not_the_hub = [failure for failure in failures if failure[0] >= NOT_THE_HUB]
    if not_the_hub:  # the most telling failure: something answered, but not the Hub API
        return False, f"{base} {min(not_the_hub)[1]}"
    if len(failures) < len(PROBE_PATHS):
        return False, f"{base} did not answer within {timeout:g} s"
    return False, f"{base} did not answer ({min(failures)[1]}; {seconds:.1f} s)"


NOT_THE_HUB = 10  # ranks from here on: a server answered, but not like the Hub API


def _ask(
    url: str,
    rank: int,
    deadline: float,
    answers: queue.Queue[tuple[bool, int, str]],
    connections: list[http.client.HTTPConnection],
) -> None:
    """One probe request (in a daemon thread): put (looks like the Hub API, rank, what happened)."""
    try:
        opener = urllib.request.build_opener(_TrackedHTTP(connections), _TrackedHTTPS(connections))
        headers = {"Accept": "application/json", "User-Agent": "quicktour-notebooks/probe"}
        request = urllib.request.Request(url, headers=headers)
        try:
            response = opener.open(request, timeout=max(0.05, deadline - time.monotonic()))
        except urllib.error.HTTPError as exc:  # 401, 404, 504...: judged by the body, as any answer
            response = exc
        with response:
            status = response.status if response.status is not None else response.code
            kind = response.headers.get("Content-Type", "") or ""
            body = _read_some(response, deadline)
        head = body[:2048].lower()
        if _hub_shaped(body, urllib.parse.urlsplit(url).path, status):
            answers.put((True, rank, f"answered HTTP {status} with JSON"))
        elif body.lstrip()[:1] in (b"{", b"["):
            what = f"answered HTTP {status} with JSON that is not the Hub API's (no 'error', 'name' or 'id' field)"
            answers.put((False, NOT_THE_HUB + 6 + rank, what))
        elif b"<html" in head or b"<!doctype" in head or "html" in kind.lower():
            hint = "(a captive portal? sign in to the network, then restart the kernel)"
            what = f"answered HTTP {status} with an HTML page, not the Hub API {hint}"
            answers.put((False, NOT_THE_HUB + rank, what))
        elif not body.strip():
            answers.put((False, NOT_THE_HUB + 2 + rank, f"answered HTTP {status} with no body, not the Hub API"))
        else:
            what = f"answered HTTP {status} with {kind or 'a body'} that is not JSON, not the Hub API"
            answers.put((False, NOT_THE_HUB + 4 + rank, what))
    except BaseException as exc:  # noqa: BLE001 (a daemon thread must report, never raise)
        reason = getattr(exc, "reason", None) or exc
        answers.put((False, rank, f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__))


def _read_some(response: object, deadline: float) -> bytes:
    """Up to PROBE_BODY_LIMIT bytes of the body, giving up at the deadline."""
    chunks, size = [], 0
    read = getattr(response, "read1", None) or response.read  # type: ignore[attr-defined]
    while size < PROBE_BODY_LIMIT and time.monotonic() < deadline:
        chunk = read(min(8192, PROBE_BODY_LIMIT - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if time.monotonic() >= deadline:
        raise TimeoutError("the answer was too slow")
    return b"".join(chunks)


def _hub_shaped(body: bytes, path: str, status: int) -> bool:
    """Whether ``body``, the whole answer to the probe ``path``, is the Hub API's: a JSON object with a string
    ``error`` (any status), or with 200 the field huggingface_hub reads from that path (``HUB_FIELDS``)."""
    if len(body) >= PROBE_BODY_LIMIT:
        return False  # cut: never judged by its beginning
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(answer, dict):
        return False
    if isinstance(answer.get("error"), str) and answer["error"].strip():
        return True
    field = HUB_FIELDS.get(path, "id")
    return status == 200 and isinstance(answer.get(field), str) and bool(answer[field].strip())


def _tracked(base: type[http.client.HTTPConnection], connections: list[http.client.HTTPConnection]) -> type:
    class Tracked(base):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            connections.append(self)
            super().connect()

    return Tracked


class _TrackedHTTP(urllib.request.HTTPHandler):
    """urllib's HTTP handler, remembering its connections so the probe can shut them at the deadline."""

    def __init__(self, connections: list[http.client.HTTPConnection]) -> None:
        super().__init__()
        self._connection_class = _tracked(http.client.HTTPConnection, connections)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection_class, req)


class _TrackedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, connections: list[http.client.HTTPConnection]) -> None:
        super().__init__()
        self._connection_class = _tracked(http.client.HTTPSConnection, connections)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection_class, req, context=self._context)


def _abandon(connection: http.client.HTTPConnection) -> None:
    """Shut a probe connection's socket, so its thread stops at once (a slow server, say)."""
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# Replaced in tests to simulate a reachable or unreachable Hub without a network.
_probe = probe_hub


@lru_cache(maxsize=1)
def current_mode() -> Mode:
    """Settle the mode once for this process (see the module docstring) and return it."""
    asked = requested_mode()
    hub_offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")
    if asked == "offline":
        mode = Mode("offline", f"{MODE_VARIABLE}=offline", forced=True)
    elif asked == "hub":
        if hub_offline:
            raise ValueError(
                f"{MODE_VARIABLE}=hub asks for the Hub, but HF_HUB_OFFLINE=1 forbids it: unset one of them"
            )
        mode = Mode("hub", f"{MODE_VARIABLE}=hub", forced=True)
    elif hub_offline:
        mode = Mode("offline", "HF_HUB_OFFLINE=1 is set")
    else:
        reachable, why = _probe()
        mode = Mode("hub" if reachable else "offline", f"auto: {why}")
    if mode.offline:
        _export_offline()
    return mode


def _export_offline() -> None:
    """Tell huggingface_hub/transformers/datasets not to touch the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_EVALUATE_OFFLINE"] = "1"  # evaluate ignores HF_HUB_OFFLINE and would still ask the Hub
    if "huggingface_hub" in sys.modules:
        print(
            "warning: huggingface_hub was imported before helpers.setup(); it may still try the "
            "network. Restart the kernel and run the notebook from the top.",
            file=sys.stderr,
        )


# The environment of every test and notebook refresh: offline; no progress bars, whose redraws
# would make stored notebook outputs differ from run to run (learners keep their bars); and a
# fixed hash seed for the kernels, so that libraries printing sets (load reports, warnings)
# print them in the same order every run.
OFFLINE_QUIET_ENVIRONMENT: dict[str, str] = {
    "PYTHONHASHSEED": "0",
    MODE_VARIABLE: "offline",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_EVALUATE_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TQDM_DISABLE": "1",
}


def reset_mode_cache() -> None:
    """Forget the settled mode (tests use this; a notebook never needs it)."""
    current_mode.cache_clear()

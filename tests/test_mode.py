"""Tests of ``helpers.mode``: the requested mode, the Hub probe and the mode it settles (forced, automatic,
``HF_HUB_OFFLINE``). With the fault cases: the probe against bad endpoints on loopback (slow, silent, captive-portal,
not-the-Hub servers, DNS that never answers) keeps its deadline, and ``helpers.setup()`` with it."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time

import pytest

from helpers import mode


def test_default_is_auto(fresh_mode):
    assert mode.requested_mode() == "auto"


def test_bad_mode_says_what_to_use(fresh_mode, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "sometimes")
    with pytest.raises(ValueError, match="auto, hub, offline"):
        mode.requested_mode()


def test_auto_reachable_is_hub(fresh_mode):
    fresh_mode(True, "https://huggingface.co answered")
    settled = mode.current_mode()
    assert settled.name == "hub" and not settled.forced
    assert "answered" in settled.reason
    assert os.environ.get("HF_HUB_OFFLINE") is None


def test_auto_unreachable_is_offline_and_exports_the_switch(fresh_mode):
    fresh_mode(False, "no answer")
    settled = mode.current_mode()
    assert settled.offline and not settled.forced
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["HF_DATASETS_OFFLINE"] == "1"


def test_forced_modes_skip_the_probe(fresh_mode, monkeypatch):
    def boom():
        raise AssertionError("the probe must not run when the mode is forced")

    monkeypatch.setattr(mode, "_probe", boom)
    for name in ("hub", "offline"):
        monkeypatch.setenv("QUICKTOUR_MODE", name)
        mode.reset_mode_cache()
        settled = mode.current_mode()
        assert settled.name == name and settled.forced


def test_hf_hub_offline_means_offline(fresh_mode, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(mode, "_probe", lambda: (True, "should not be asked"))
    mode.reset_mode_cache()
    assert mode.current_mode().offline


def test_hub_mode_with_hf_hub_offline_is_a_clear_error(fresh_mode, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="unset one of them"):
        mode.current_mode()


def test_forced_offline_stays_forced_with_hf_hub_offline(fresh_mode, monkeypatch):
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert mode.current_mode().forced


def test_probe_runs_once_per_process(fresh_mode, monkeypatch):
    calls = []
    monkeypatch.setattr(mode, "_probe", lambda: calls.append(1) or (False, "x"))
    mode.current_mode()
    mode.current_mode()
    assert len(calls) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_probe_of_a_closed_port_is_quick_and_false():
    start = time.monotonic()
    reachable, why = mode.probe_hub(f"http://127.0.0.1:{_free_port()}", timeout=2.0)
    assert not reachable and "did not answer" in why
    assert time.monotonic() - start < 3.0


def _serve(status, content_type, body):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_probe_of_an_answering_server_is_true():
    # As the Hub answers a request without a token: 401 with a JSON error.
    server = _serve(401, "application/json", b'{"error": "Invalid credentials in Authorization header"}')
    try:
        reachable, why = mode.probe_hub(f"http://127.0.0.1:{server.server_port}", timeout=2.0)
    finally:
        server.shutdown()
        server.server_close()
    assert reachable, why


def test_probe_of_a_server_without_a_json_answer_is_false():
    # Any HTTP answer used to count; only the Hub API's JSON does now (an empty 401 is not the Hub).
    server = _serve(401, None, b"")
    try:
        reachable, why = mode.probe_hub(f"http://127.0.0.1:{server.server_port}", timeout=2.0)
    finally:
        server.shutdown()
        server.server_close()
    assert not reachable and "no body" in why


def test_probe_time_out_is_bounded():
    # A listening socket that never answers: the probe must give up at its time-out.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        start = time.monotonic()
        reachable, _ = mode.probe_hub(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
    assert not reachable
    assert time.monotonic() - start < 2.0


# ---------------------------------------------------------------------------------------------
# Fault cases: the Hub probe against bad endpoints on loopback


PROBE_BOUND_S = 2.5  # the probe's deadline is 2 s


class Endpoint:
    """A loopback HTTP server with one behaviour, on raw sockets (a thread per connection)."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ")[1].decode()
            if self.behaviour == "silent":
                self.stop.wait(30)
                return
            answer = self._answer(path)
            if self.behaviour == "slow":  # a whole valid Hub answer, one byte per second
                for i in range(len(answer)):
                    if self.stop.wait(1.0):
                        return
                    conn.sendall(answer[i : i + 1])
            else:
                conn.sendall(answer)
        except OSError:
            pass
        finally:
            conn.close()

    def _answer(self, path: str) -> bytes:
        def http(status: str, kind: str | None, body: bytes) -> bytes:
            head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
            if kind:
                head += f"Content-Type: {kind}\r\n"
            return head.encode() + b"\r\n" + body

        hub_error = b'{"error":"Invalid credentials in Authorization header"}'
        if self.behaviour in ("hub", "slow"):  # the Hub: 401 with a JSON error without a token
            return http("401 Unauthorized", "application/json", hub_error)
        if self.behaviour == "mirror":  # olah offline: whoami forwarded upstream and failing; repo info answered
            if path.startswith("/api/whoami"):
                return http("504 Gateway Timeout", None, b"")
            return http("401 Unauthorized", "application/json", b'{"error":"Repository not found"}')
        if self.behaviour == "captive":
            return http("200 OK", "text/html", b"<!DOCTYPE html><html><body>Sign in to Cafe Wi-Fi</body></html>")
        if self.behaviour == "empty":
            return http("200 OK", None, b"")
        # JSON that is not the Hub's: a misconfigured proxy or portal answering every path alike
        if self.behaviour == "lone-brace":
            return http("200 OK", "application/json", b"{")
        if self.behaviour == "empty-list":
            return http("200 OK", "text/plain", b"[]")
        if self.behaviour == "proxy-status":
            return http("200 OK", "application/json", b'{"status": "ok", "proxy": "squid"}')
        if self.behaviour == "error-at-200-without-text":
            return http("200 OK", "application/json", b'{"error": ""}')
        if self.behaviour == "repo-info":  # the Hub with a token, or a mirror that has the repository
            if path.startswith("/api/whoami"):
                return http("401 Unauthorized", "application/json", b"{}")
            return http("200 OK", "application/json", b'{"id": "distilbert/distilbert-base-uncased", "sha": "12"}')
        if self.behaviour == "huge":  # a JSON object larger than the probe reads: judged whole or not at all
            return http("200 OK", "application/json", b'{"id": "x", "pad": "' + b"a" * 300_000 + b'"}')
        raise ValueError(self.behaviour)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass


@pytest.fixture
def endpoint():
    made = []

    def make(behaviour: str) -> Endpoint:
        made.append(Endpoint(behaviour))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.mark.parametrize(
    "behaviour, reachable, says",
    [
        ("hub", True, "answered"),
        ("mirror", True, "answered"),  # a Hub mirror (olah) answering repo info in JSON
        ("captive", False, "HTML page"),
        ("empty", False, "no body"),
        ("lone-brace", False, "not the Hub API's"),
        ("empty-list", False, "not the Hub API's"),
        ("proxy-status", False, "not the Hub API's"),
        ("error-at-200-without-text", False, "not the Hub API's"),
        ("repo-info", True, "answered"),
        ("huge", False, "not the Hub API's"),
        ("slow", False, "did not answer within 2 s"),
        ("silent", False, "did not answer within 2 s"),
    ],
)
def test_probe_verdict_and_deadline(endpoint, behaviour, reachable, says):
    server = endpoint(behaviour)
    start = time.monotonic()
    verdict, why = mode.probe_hub(server.url)
    took = time.monotonic() - start
    assert verdict is reachable and says in why, why
    assert took < PROBE_BOUND_S, f"the probe took {took:.2f} s"


def test_dns_that_never_answers_is_bounded_by_the_deadline(monkeypatch):
    release = threading.Event()

    def never_answers(*args, **kwargs):
        release.wait(30)
        raise socket.gaierror("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", never_answers)
    try:
        start = time.monotonic()
        verdict, why = mode.probe_hub("http://hub.example.invalid")
        took = time.monotonic() - start
    finally:
        release.set()
    assert not verdict and "did not answer within 2 s" in why
    assert took < PROBE_BOUND_S, f"the probe took {took:.2f} s"


def test_setup_against_the_slowest_endpoint(endpoint, fresh_mode, monkeypatch):
    import torch  # noqa: F401  (setup seeds torch: import it first, to time setup itself)

    import helpers

    server = endpoint("slow")
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    start = time.monotonic()
    session = helpers.setup(quiet=True)
    took = time.monotonic() - start
    print(f"\nhelpers.setup() against a one-byte-per-second endpoint: {took:.2f} s")
    assert session.offline and "did not answer within 2 s" in session.mode.reason
    assert took < 3.0


def test_setup_behind_a_captive_portal_is_offline(endpoint, fresh_mode, monkeypatch):
    import helpers

    monkeypatch.setenv("HF_ENDPOINT", endpoint("captive").url)
    session = helpers.setup(quiet=True)
    assert session.offline and "captive portal" in session.mode.reason

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

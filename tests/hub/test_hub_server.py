"""Fast tests of the Hub-server harness: fixtures, olah on loopback, clear failures, clean shutdown.

Clients run in subprocesses with their own environment (``server.client_env``): the root
conftest.py makes this process offline, and huggingface_hub reads its variables once, at import.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from instructor_tools import hubserver as hub_server
from tests.hub.fixtures import (
    DATASET_IDS,
    MODEL_IDS,
    SPACE_IDS,
    SST2_MODEL,
    build_fixtures,
    evaluate_tag,
    git,
    repo_dir,
)
from instructor_tools.hubserver import HubServer, HubServerError, client_env, olah_installed

needs_olah = pytest.mark.skipif(
    not olah_installed(),
    reason=f"olah is not installed in {hub_server.hub_venv()} (run: bash scripts/install-hub-server.sh)",
)

MISSING_REPO = "quicktour-notebooks/no-such-model"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture repository, built once for this module."""
    folder = tmp_path_factory.mktemp("mirror")
    build_fixtures(folder)
    return folder


@pytest.fixture(scope="module")
def hub(mirror: Path) -> Iterator[HubServer]:
    """One running server for the read-only tests."""
    with HubServer(mirror) as running:
        yield running


def _get_json(url: str) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of a GET, also for HTTP errors; never through a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def _run_client(code: str, env: dict[str, str]) -> dict:
    """Run ``code`` in a fresh interpreter with ``env``; it prints one JSON line, returned parsed."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"client failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _gone(pid: int) -> bool:
    """True when neither the process nor its process group exists any more."""
    for probe in (lambda: os.kill(pid, 0), lambda: os.killpg(pid, 0)):
        try:
            probe()
            return False
        except ProcessLookupError:
            continue
    return True


# --------------------------------------------------------------------------- fixtures


def test_fixture_repositories_are_git_repos_on_main(mirror: Path) -> None:
    for kind, ids in (("models", MODEL_IDS), ("datasets", DATASET_IDS), ("spaces", SPACE_IDS)):
        for repo_id in ids:
            folder = repo_dir(mirror, kind, repo_id)
            assert git(folder, "rev-parse", "--abbrev-ref", "HEAD") == "main", repo_id
            assert git(folder, "status", "--porcelain") == "", f"{repo_id} has uncommitted files"
    files = git(repo_dir(mirror, "models", SST2_MODEL), "ls-files").split()
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= set(files)
    wer_tags = git(repo_dir(mirror, "spaces", "evaluate-metric/wer"), "tag").split()
    assert wer_tags == [evaluate_tag()]


def test_fixtures_refuse_to_overwrite(mirror: Path) -> None:
    with pytest.raises(FileExistsError, match="already exist"):
        build_fixtures(mirror)


# --------------------------------------------------------------------------- serving


@needs_olah
def test_serves_a_fixture_model_repo_over_http(hub: HubServer, mirror: Path) -> None:
    status, _headers, meta = _get_json(f"{hub.endpoint}/api/models/{SST2_MODEL}/revision/main")
    assert status == 200
    assert meta["id"] == SST2_MODEL
    assert meta["sha"] == git(repo_dir(mirror, "models", SST2_MODEL), "rev-parse", "HEAD")
    assert "model.safetensors" in {s["rfilename"] for s in meta["siblings"]}


@needs_olah
def test_snapshot_download_through_the_server(hub: HubServer, tmp_path: Path) -> None:
    result = _run_client(
        f"""
        import json, os
        from huggingface_hub import snapshot_download
        path = snapshot_download({SST2_MODEL!r})
        config = json.load(open(os.path.join(path, "config.json")))
        print(json.dumps({{"files": sorted(os.listdir(path)), "id2label": config["id2label"],
                           "in_home": path.startswith(os.environ["HF_HOME"])}}))
        """,
        client_env(hub.endpoint, tmp_path / "hf-home"),
    )
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(result["files"])
    assert result["id2label"] == {"0": "NEGATIVE", "1": "POSITIVE"}
    assert result["in_home"]


@needs_olah
def test_a_repo_missing_from_the_mirror_is_a_clear_error(hub: HubServer, tmp_path: Path) -> None:
    status, headers, body = _get_json(f"{hub.endpoint}/api/models/{MISSING_REPO}/revision/main")
    assert status == 401  # the Hub says 401 too for a repo it does not show you
    assert headers.get("x-error-code") == "RepoNotFound", body
    result = _run_client(
        f"""
        import json
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import RepositoryNotFoundError
        try:
            snapshot_download({MISSING_REPO!r})
            print(json.dumps({{"raised": None}}))
        except RepositoryNotFoundError as error:
            print(json.dumps({{"raised": type(error).__name__, "message": str(error)}}))
        """,
        client_env(hub.endpoint, tmp_path / "hf-home"),
    )
    assert result["raised"] == "RepositoryNotFoundError"
    assert MISSING_REPO in result["message"]


# --------------------------------------------------------------------------- failures and shutdown


def test_a_missing_mirror_dir_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="mirror folder .* does not exist"):
        HubServer(tmp_path / "nowhere").start()


@needs_olah
def test_a_port_in_use_is_named_before_olah_starts(mirror: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = HubServer(mirror, port=port)
        with pytest.raises(HubServerError, match=rf"port {port} .* already in use"):
            server.start()
        assert server.process is None  # olah was never started


def test_olah_exiting_early_reports_its_log(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "olah-cli"
    fake.write_text("#!/bin/sh\necho 'configs.toml: something is wrong' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(hub_server, "olah_cli", lambda: fake)
    with pytest.raises(HubServerError, match=r"(?s)exited with code 3.*something is wrong"):
        HubServer(mirror).start()


@needs_olah
def test_the_server_is_gone_after_the_block(mirror: Path) -> None:
    with HubServer(mirror) as running:
        pid, endpoint = running.process.pid, running.endpoint
        assert hub_server._answers(endpoint + "/")
    assert _gone(pid)
    assert not hub_server._answers(endpoint + "/")
    assert running.work_dir is None  # the temporary config folder is removed


@needs_olah
def test_the_server_is_gone_after_an_exception_in_the_block(mirror: Path) -> None:
    pid = None
    with pytest.raises(RuntimeError, match="body failed"):
        with HubServer(mirror) as running:
            pid = running.process.pid
            raise RuntimeError("body failed")
    assert pid is not None and _gone(pid)


@needs_olah
def test_stop_is_idempotent_and_survives_a_dead_olah(mirror: Path) -> None:
    running = HubServer(mirror).start()
    pid = running.process.pid
    os.killpg(pid, signal.SIGKILL)
    running.stop()
    running.stop()
    assert _gone(pid)

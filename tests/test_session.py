"""Tests of ``helpers.setup()`` (``helpers.session``): its one status block, and that importing ``helpers`` leaves
the Hub client unimported, so that setup can settle ``HF_HUB_OFFLINE`` first."""

from __future__ import annotations

from helpers.session import Session, setup, versions


def test_setup_prints_one_status_block(fresh_mode, monkeypatch, capsys):
    from importlib import metadata

    import torch

    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
        monkeypatch.setenv(name, "")  # recorded, so that what setup() sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    torch.manual_seed(99)
    session = setup(seed=3)
    drawn = torch.rand(2)
    out = capsys.readouterr().out
    torch.manual_seed(3)
    assert torch.equal(drawn, torch.rand(2))  # setup fixed the seeds it was given
    assert isinstance(session, Session) and session.offline and session.seed == 3
    lines = out.splitlines()
    assert len(lines) == 4, lines  # libraries, device, mode, and what it set
    assert f"transformers {metadata.version('transformers')}" in lines[0]
    assert lines[1].startswith(f"device: {session.device} (") and lines[1].endswith("seed 3")
    assert lines[2].startswith("mode:   offline (QUICKTOUR_MODE=offline)")
    assert lines[3] == "set:    HF_DATASETS_OFFLINE=1 HF_EVALUATE_OFFLINE=1 HF_HUB_OFFLINE=1", lines[3]
    assert set(versions()) == {"torch", "transformers", "datasets", "evaluate", "accelerate"}


def test_importing_helpers_leaves_the_hub_client_unimported():
    # huggingface_hub reads HF_HUB_OFFLINE once, at import: helpers.setup() must be able to set it first.
    import subprocess
    import sys

    code = (
        "import sys, helpers; "
        "print(sorted(m for m in ('huggingface_hub', 'transformers', 'datasets', 'evaluate') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

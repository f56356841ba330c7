"""Hub or offline: which one this process uses, and why (used by every notebook).

The mode comes from the environment variable ``QUICKTOUR_MODE``:

- ``hub``: always use the Hub ids the quicktour names;
- ``offline``: always use the offline kit (CI, a classroom without Wi-Fi);
- ``auto`` (default): ask the Hub once, with a short time-out, and fall back to the
  local Hugging Face cache or the kit when it does not answer.

The decision is made once per process and cached. When it is "offline", ``HF_HUB_OFFLINE=1``
is exported so that transformers/datasets never wait on the network; that only works if it
happens before huggingface_hub is imported, which is why notebooks call ``helpers.setup()``
in their first cells.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache

MODE_VARIABLE = "QUICKTOUR_MODE"
MODES = ("auto", "hub", "offline")
DEFAULT_ENDPOINT = "https://huggingface.co"
PROBE_TIMEOUT_S = 2.0


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

    Any HTTP answer counts as reachable; a refused connection, DNS failure or time-out
    does not. Never takes much longer than ``timeout`` seconds.
    """
    url = (endpoint or hub_endpoint()) + "/api/whoami-v2"
    start = time.monotonic()
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout)
    except urllib.error.HTTPError:
        pass  # the server answered (401 without a token): it is reachable
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{url.split('/api')[0]} did not answer ({reason}; {time.monotonic() - start:.1f} s)"
    return True, f"{url.split('/api')[0]} answered"


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
TEST_ENVIRONMENT: dict[str, str] = {
    "PYTHONHASHSEED": "0",
    MODE_VARIABLE: "offline",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TQDM_DISABLE": "1",
}


def reset_mode_cache() -> None:
    """Forget the settled mode (tests use this; a notebook never needs it)."""
    current_mode.cache_clear()

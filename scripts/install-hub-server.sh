#!/usr/bin/env bash
# Install the Hub server used by tests/hub (PyPI `olah`) into its own venv, .venv-hub.
#
# olah stays out of the learner venv: its dependency fastapi-utils pins psutil < 6.
# Usage: bash scripts/install-hub-server.sh [VENV_DIR]   (default: .venv-hub next to this repo's Makefile)
# Quick no-op when the pinned olah is already installed there.
set -euo pipefail

OLAH_VERSION="0.5.4"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.venv-hub}"
PYTHON="${PYTHON:-python3}"

if [ -x "$VENV/bin/olah-cli" ] && \
   [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("olah"))' 2>/dev/null)" = "$OLAH_VERSION" ]; then
    echo "olah $OLAH_VERSION already installed in $VENV"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet "olah==$OLAH_VERSION"
"$VENV/bin/olah-cli" --help >/dev/null
echo "olah $OLAH_VERSION installed in $VENV ($VENV/bin/olah-cli)"

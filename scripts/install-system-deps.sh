#!/usr/bin/env bash
# Install the Debian packages listed in apt-packages.txt that are not installed yet.
#   --notebooks  only the [notebooks] section: what the notebooks use (the Colab set-up cell passes it)
#   --list       print the packages that would be considered, one per line, and install nothing
# Needs root (or sudo) to install. Prints what it does; does nothing when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."
only_notebooks=0
list=0
for arg in "$@"; do
  case "$arg" in
    --notebooks) only_notebooks=1 ;;
    --list) list=1 ;;
    *) echo "install-system-deps.sh: unknown option $arg (use --notebooks, --list)" >&2; exit 2 ;;
  esac
done
wanted=()
section=""
while read -r line; do
  if [[ "$line" =~ ^#\ \[([a-z]+)\] ]]; then section="${BASH_REMATCH[1]}"; continue; fi
  [[ -z "$line" || "$line" == \#* ]] && continue
  [[ $only_notebooks -eq 1 && "$section" != "notebooks" ]] && continue
  wanted+=("$line")
done < apt-packages.txt
if [[ $list -eq 1 ]]; then
  printf '%s\n' "${wanted[@]}"
  exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  # Not Debian or Ubuntu (macOS, another Linux): look for the programs instead, and name what is missing.
  absent=()
  for pkg in "${wanted[@]}"; do
    case "$pkg" in
      chromium) command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
                  || command -v google-chrome >/dev/null || absent+=("$pkg") ;;
      chromium-driver) command -v chromedriver >/dev/null || absent+=("$pkg") ;;
      fonts-*) ;;  # a font: nothing to look for; without it only the browser test's screenshots lack emoji
      *) command -v "$pkg" >/dev/null || absent+=("$pkg") ;;
    esac
  done
  if [[ ${#absent[@]} -eq 0 ]]; then
    echo "system packages: no apt on this system; the programs needed were found"
    exit 0
  fi
  echo "system packages: no apt on this system; install these yourself: ${absent[*]}" >&2
  echo "  (macOS: brew install espeak-ng; the notebooks need only espeak-ng, the tests and browser test the rest)" >&2
  [[ $only_notebooks -eq 1 ]] && exit 0  # the notebooks can go on; the kit build says if it needs espeak-ng
  exit 1
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "system packages: all present"
  exit 0
fi
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "system packages: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# The course's two commands on a machine that may have nothing but bash:
#   bash scripts/course.sh lab     set everything up, then open the course in JupyterLab
#   bash scripts/course.sh test    set everything up, then run the whole test suite
# It only makes sure Python 3 is there (as root with apt-get; otherwise it says how), then
# hands over to scripts/course.py, which does the rest the same way on every OS.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[setup] installing python3 (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    else
        echo "[setup] Python 3 is missing. Install it with:  sudo apt-get install python3 python3-venv"
        exit 1
    fi
fi
exec "$PYTHON" scripts/course.py "$@"

#!/usr/bin/env bash
# Sets up what the course needs, and does nothing that is already done:
#   1. Python 3.9+ with venv, 2. a virtual environment in .venv with the package
#   (editable) and the course and test dependencies, 3. Graphviz's `dot` program;
#   with --browser, 4. Chromium and Playwright for the browser tests.
# As root on Debian/Ubuntu it installs missing system packages with apt-get;
# otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.grad-installed"
apt_updated=no

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
    if [ "$apt_updated" = no ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=yes
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. Python with venv
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    if can_apt; then
        say "installing python3 (apt-get)"
        apt_install python3 python3-venv
    else
        say "Python 3 is missing. Install it with:  sudo apt-get install python3 python3-venv"
        exit 1
    fi
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
    say "the course needs Python 3.9 or newer; $PYTHON is $("$PYTHON" -V 2>&1)"
    exit 1
fi
if [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if can_apt; then
        say "installing python${pyver}-venv (apt-get)"
        apt_install "python${pyver}-venv" || apt_install python3-venv
    else
        say "Python's venv module is missing. Install it with:  sudo apt-get install python${pyver}-venv"
        exit 1
    fi
fi

# 2. The virtual environment and the package
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    say "installing the grad package and the course's dependencies into $VENV (a few minutes the first time)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/python" -m pip install --quiet -e '.[course,test]' 2>&1 | grep -v '^WARNING: Location' || true
    "$VENV/bin/python" -c 'import grad, numpy, matplotlib, ipywidgets, jupyterlab, nbval, hypothesis, micrograd' \
        || { say "installing the dependencies failed; see the messages above"; exit 1; }
    touch "$STAMP"
fi

# 3. Graphviz's dot program, which draws the computation graphs
if ! command -v dot >/dev/null 2>&1; then
    if can_apt; then
        say "installing Graphviz (apt-get)"
        apt_install graphviz
    else
        say "Graphviz's 'dot' program is missing: graphs cannot be drawn until you install it:"
        say "    sudo apt-get install graphviz        (Debian/Ubuntu; macOS: brew install graphviz)"
    fi
fi

# 4. For the browser tests: Debian's Chromium and Playwright for Python (which drives the
#    system's Chromium: no browser download)
if [ "${1:-}" = "--browser" ]; then
    if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
        if can_apt; then
            say "installing Chromium (apt-get)"
            apt_install chromium
        else
            say "the browser tests need Chromium. Install it with:  sudo apt-get install chromium"
            exit 1
        fi
    fi
    if ! "$VENV/bin/python" -c 'import playwright' >/dev/null 2>&1; then
        say "installing Playwright for Python into $VENV"
        "$VENV/bin/python" -m pip install --quiet playwright 2>&1 | grep -v '^WARNING: Location' || true
        "$VENV/bin/python" -c 'import playwright' || { say "installing Playwright failed"; exit 1; }
    fi
fi

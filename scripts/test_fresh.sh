#!/usr/bin/env bash
# The README's two commands on a fresh, minimal Debian 12, as root and as a normal user.
#
#   sudo bash scripts/test_fresh.sh          (or: make test-fresh)
#
# Builds a debootstrap "minbase" root (no make, no python3, no Graphviz; git and CA
# certificates added so it can clone and reach the package index), clones this repository's
# committed HEAD into it, then, inside it:
#   1. as root:            bash scripts/course.sh test   and   bash scripts/course.sh lab
#   2. as a new user:      the same, in that user's own clone (no root, no system Graphviz)
# `lab` passes when JupyterLab answers with the learner's copy of notebook 00 and the
# package source in its file browser. Needs root (debootstrap, chroot, mounts) and an hour
# or more (the whole suite runs twice). The pristine root is built once and kept in
# $FRESH.base; every run starts from a copy of it in $FRESH (default /tmp/grad-fresh),
# which is left there for a look afterwards.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FRESH=${FRESH:-/tmp/grad-fresh}
BASE=$FRESH.base
MIRROR=${MIRROR:-http://deb.debian.org/debian}
START=$SECONDS
say() { printf '\033[1m[fresh %dm%02ds]\033[0m %s\n' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)) "$*"; }

[ "$(id -u)" = 0 ] || { say "run this as root (debootstrap and chroot need it)"; exit 1; }
command -v debootstrap >/dev/null || { say "installing debootstrap"; apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }

# Stop what still runs inside the root (a lab server after a failure), then unmount, so that
# the root can be deleted without reaching through a mount into this machine's /dev.
cleanup() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$FRESH" ] && kill -KILL "${p#/proc/}" 2>/dev/null || true
    done
    for m in dev sys proc; do
        mountpoint -q "$FRESH/$m" && umount -R -l "$FRESH/$m" 2>/dev/null || true
    done
}
mounted() { for m in dev sys proc; do mountpoint -q "$FRESH/$m" && return 0; done; return 1; }
trap cleanup EXIT

if [ ! -x "$BASE/usr/bin/git" ]; then
    say "building a minimal Debian 12 in $BASE (a few minutes, once)"
    rm -rf --one-file-system "$BASE"
    debootstrap --variant=minbase --include=git,ca-certificates bookworm "$BASE" "$MIRROR" >/dev/null
fi
cleanup
if mounted; then say "$FRESH still has mounts; not deleting it"; exit 1; fi
rm -rf --one-file-system "$FRESH"
cp -a "$BASE" "$FRESH"

# This machine reaches PyPI only through a proxy that signs TLS with its own certificate
# authority, so the fresh root gets this machine's CA bundle and local CAs (as a fresh
# machine behind the same proxy would need). Nothing else is copied: no pip configuration
# (this machine's pip looks in local wheel folders and caps some versions), no pip
# variables, so pip in the fresh root goes to PyPI like anyone's.
cp /etc/ssl/certs/ca-certificates.crt "$FRESH/etc/ssl/certs/ca-certificates.crt"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$FRESH/usr/local/share/ca-certificates/"
fi
cp /etc/resolv.conf "$FRESH/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$FRESH/proc"; mount -t sysfs sys "$FRESH/sys"
mount --rbind /dev "$FRESH/dev"; mount --make-rslave "$FRESH/dev"
chroot "$FRESH" update-ca-certificates >/dev/null 2>&1
for tool in make python3 dot; do
    if chroot "$FRESH" sh -c "command -v $tool" >/dev/null; then say "unexpected: $tool is in the fresh root"; exit 1; fi
done

inside() {  # inside USER COMMAND: run COMMAND with bash in the fresh root as USER, clean env
    chroot "$FRESH" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM=dumb runuser -u "$1" -- /bin/bash -c "cd ~ && $2"
}

# The README's lab command in the background; pass when the server lists my-notebooks/00
# and grad/engine.py (and not the originals). The check itself is a Python file, so that no
# quoting stands between it and bash.
LAB_CHECK='import json, sys, urllib.request
base, token = sys.argv[1:]
get = lambda p: json.load(urllib.request.urlopen(f"{base}/api/contents/{p}?token={token}", timeout=30))
names = {c["name"] for c in get("")["content"]}
assert {"grad", "my-notebooks"} <= names and "notebooks" not in names, names
assert "class Value" in get("grad/engine.py")["content"]
assert "00_start_here.ipynb" in {c["name"] for c in get("my-notebooks")["content"]}
print("lab: serves my-notebooks/00_start_here.ipynb and grad/engine.py")'
check_lab() {
    local user=$1 home=$2
    printf '%s\n' "$LAB_CHECK" > "$FRESH/$home/course/.lab_check.py"
    chroot "$FRESH" chown "$user" "$home/course/.lab_check.py"
    inside "$user" 'cd course
        setsid bash scripts/course.sh lab > lab.log 2>&1 &
        pid=$!
        url=
        for i in $(seq 1 300); do
            url=$(grep -o "http://127.0.0.1:[0-9]*/lab?token=[0-9a-f]*" lab.log | head -1 || true)
            [ -n "$url" ] && break
            sleep 1
        done
        if [ -z "$url" ]; then echo "lab printed no URL:"; cat lab.log; status=1
        else .venv/bin/python .lab_check.py "${url%%/lab?*}" "${url##*token=}" && status=0 || status=$?
        fi
        # stop the server and everything it started; it takes a few seconds to shut down
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
        for i in $(seq 1 60); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" || true
        rm -f .lab_check.py lab.log
        exit $status'
}

failed=()
for user in root learner; do
    home=$([ $user = root ] && echo /root || echo /home/$user)
    if [ $user = root ]; then
        say "as root: the README's commands in a fresh clone"
    else
        say "as a normal user (no root; Python installed by the administrator, nothing else)"
        chroot "$FRESH" id $user >/dev/null 2>&1 || chroot "$FRESH" useradd -m -s /bin/bash $user
    fi
    git clone -q "file://$REPO" "$FRESH$home/course"
    chroot "$FRESH" chown -R $user: "$home/course"
    # a failing step is noted and the run goes on, so that one run reports on both users
    say "$user: bash scripts/course.sh test"
    inside $user "cd course && bash scripts/course.sh test" || failed+=("$user: course.sh test")
    say "$user: bash scripts/course.sh lab"
    check_lab $user $home || failed+=("$user: course.sh lab")
    inside $user 'cd course && if git status --porcelain | grep .; then echo "the clone is not clean"; exit 1; fi' \
        || failed+=("$user: clean clone")
done
if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "passed: the README's commands work on a fresh Debian 12, as root and as a normal user"

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
# package source in its file browser. Needs root (debootstrap, chroot, mounts) and about
# 20 minutes; the root is left in $FRESH (default /tmp/grad-fresh) for a look afterwards.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FRESH=${FRESH:-/tmp/grad-fresh}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
say() { printf '\033[1m[fresh]\033[0m %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { say "run this as root (debootstrap and chroot need it)"; exit 1; }
command -v debootstrap >/dev/null || { say "installing debootstrap"; apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }

cleanup() {
    for m in dev/pts dev proc sys; do umount -l "$FRESH/$m" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ ! -x "$FRESH/usr/bin/git" ]; then
    say "building a minimal Debian 12 in $FRESH (a few minutes)"
    rm -rf "$FRESH"
    debootstrap --variant=minbase --include=git,ca-certificates bookworm "$FRESH" "$MIRROR" >/dev/null
fi
# this machine's CA bundle, so the fresh root trusts the same package servers
cp /etc/ssl/certs/ca-certificates.crt "$FRESH/etc/ssl/certs/ca-certificates.crt"
cp /etc/resolv.conf "$FRESH/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$FRESH/proc"; mount -t sysfs sys "$FRESH/sys"
mount --bind /dev "$FRESH/dev"; mount --bind /dev/pts "$FRESH/dev/pts"
for tool in make python3 dot; do
    if chroot "$FRESH" sh -c "command -v $tool" >/dev/null; then say "unexpected: $tool is in the fresh root"; exit 1; fi
done

inside() {  # inside USER COMMAND: run a login shell in the fresh root as USER
    chroot "$FRESH" /usr/bin/env -i HOME="$( [ "$1" = root ] && echo /root || echo "/home/$1")" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        su "$1" -s /bin/bash -c "$2"
}

# the README's lab command in the background; pass when the server lists 00 and grad/engine.py
check_lab() {
    local user=$1 home=$2
    inside "$user" "cd $home/course && { setsid bash scripts/course.sh lab > lab.log 2>&1 & pid=\$!; } ; \
        for i in \$(seq 1 240); do url=\$(grep -o 'http://127.0.0.1:[0-9]*/lab?token=[0-9a-f]*' lab.log | head -1); \
            [ -n \"\$url\" ] && break; sleep 1; done; \
        [ -n \"\$url\" ] || { echo 'lab printed no URL:'; cat lab.log; exit 1; }; \
        base=\${url%%/lab?*}; token=\${url##*token=}; \
        .venv/bin/python - \"\$base\" \"\$token\" <<'EOF'
import json, sys, urllib.request
base, token = sys.argv[1:]
get = lambda p: json.load(urllib.request.urlopen(f'{base}/api/contents/{p}?token={token}', timeout=30))
names = {c['name'] for c in get('')['content']}
assert {'grad', 'my-notebooks'} <= names and 'notebooks' not in names, names
assert 'class Value' in get('grad/engine.py')['content']
assert '00_start_here.ipynb' in {c['name'] for c in get('my-notebooks')['content']}
print('lab: serves my-notebooks/00_start_here.ipynb and grad/engine.py')
EOF
        status=\$?; kill -TERM -- -\$pid; exit \$status"
}

say "as root: the README's commands in a fresh clone"
rm -rf "$FRESH/root/course"
git clone -q "file://$REPO" "$FRESH/root/course"
inside root "cd /root/course && bash scripts/course.sh test"
check_lab root /root
inside root "cd /root/course && git status --porcelain | grep . && { echo 'the clone is not clean'; exit 1; } || true"

say "as a normal user (no root; Python installed by the administrator, nothing else)"
chroot "$FRESH" id learner >/dev/null 2>&1 || chroot "$FRESH" useradd -m learner
rm -rf "$FRESH/home/learner/course"
git clone -q "file://$REPO" "$FRESH/home/learner/course"
chroot "$FRESH" chown -R learner:learner /home/learner/course
inside learner "cd ~/course && bash scripts/course.sh test"
check_lab learner /home/learner
say "passed: the README's commands work on a fresh Debian 12, as root and as a normal user"

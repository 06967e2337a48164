#!/usr/bin/env bash
# Debian packages the tests need, installed when missing (root, as in CI; only the npm registry
# and Debian's apt are reachable here):
#  - chromium: Playwright drives Debian's Chromium, never a downloaded browser
#  - tcpdump, iproute2, socat, iputils-ping: the node agent's tests (BUM meter capture, network
#    namespaces, the AMQP relay into a namespace, traffic across VXLAN)
set -eu
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium fonts-dejavu-core)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v bridge >/dev/null 2>&1 || missing+=(iproute2)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-packages: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "ensure-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
}

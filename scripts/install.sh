#!/usr/bin/env bash
# Installs vpnrouter and everything it and its tests use, on Debian 12, as root:
#   - Debian packages: the real IKEv1 peers (strongSwan with its userspace data plane, vpnc),
#     tshark for packet checks, iperf3 for the benchmarks, nftables for the NAT namespace;
#   - a virtual environment in .venv with vpnrouter (editable) and, with --test, the test tools;
#   - /usr/local/bin/vpnrouter and /usr/local/bin/vpnclient pointing into it.
# Idempotent: packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
[ "${1:-}" = "--test" ] && with_test=1

DEB_PACKAGES=(
  python3-venv iproute2 iputils-ping nftables procps
  strongswan-swanctl strongswan-charon libcharon-extra-plugins
  libstrongswan-extra-plugins libstrongswan-standard-plugins
  vpnc vpnc-scripts ike-scan tshark iperf3
)

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/tmp/vpnrouter-apt.log 2>&1 || {
    apt-get update -q >>/tmp/vpnrouter-apt.log 2>&1
    apt-get install -y -q "${missing[@]}" >>/tmp/vpnrouter-apt.log 2>&1 || {
      tail -n 30 /tmp/vpnrouter-apt.log; exit 1; }
  }
fi
# Debian starts charon/ipsec services on install; our tests run their own daemons in namespaces.
for unit in strongswan-starter strongswan ipsec; do
  systemctl stop "$unit" >/dev/null 2>&1 || true
done

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ "$with_test" = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
ln -sf "$PWD/.venv/bin/vpnrouter" /usr/local/bin/vpnrouter
ln -sf "$PWD/.venv/bin/vpnclient" /usr/local/bin/vpnclient

#!/usr/bin/env bash
# Installs the Debian packages routekaart needs to build and run (help2man makes the manual page
# of make install, dpkg-dev's dpkg-shlibdeps the dependencies of make deb), when any is missing;
# with --test also what the tests need beyond that (Chromium for the browser tests, nginx in front
# of the server, promtool for the metrics, systemd-analyze for the unit); with --only PACKAGE... just
# those (the tools of the long runs: valgrind, wrk, sqlmap). Node.js and npm come from Debian when
# the machine has none. Uses sudo when not run as root. Quiet when everything is present.
set -euo pipefail

packages=(
  build-essential pkg-config make gcc clang
  postgresql-15 postgresql-15-postgis-3 postgresql-client-15
  libmicrohttpd-dev libjansson-dev libpq-dev libcurl4-openssl-dev
  check libsubunit-dev zlib1g-dev nettle-dev libxlsxwriter-dev
  python3 python3-yaml curl ca-certificates
  help2man dpkg-dev
)
test_packages=(
  chromium fonts-dejavu-core libclang-rt-14-dev
  nginx
  prometheus
  systemd
)
only=0
if [ "${1:-}" = "--test" ]; then packages=("${test_packages[@]}"); shift; fi
if [ "${1:-}" = "--only" ]; then shift; packages=("$@"); only=1; fi
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${packages[@]}" "${test_packages[@]}"; exit 0; fi
# a Node.js of its own (e.g. from NodeSource) is used as it is
if [ $only = 0 ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# Packages such as nginx and prometheus start a system service when installed; the tests run their
# own instances on loopback, so no service is started while installing (unless the machine already
# has a policy of its own).
policy=/usr/sbin/policy-rc.d own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"; own_policy=1
fi
trap '[ $own_policy = 1 ] && "${sudo[@]}" rm -f "$policy"' EXIT
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# The systemd unit as installed: `systemd-analyze verify` finds nothing to say, and
# `systemd-analyze security --offline=yes` rates its exposure at most 2.0 with every hardening
# setting the unit promises in effect. Self-test: the unit without its hardening fails the same
# check. systemd need not run (the analysis is offline, on a staged root).
set -euo pipefail
. "$(dirname "$0")/lib/make-install.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (install systemd)"

stage=$(mktemp -d /tmp/rk-systemd.XXXXXX)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
rk_make install DESTDIR="$root" PREFIX=/usr
unit=$root/lib/systemd/system/routekaartd.service
threshold=20 # tenths: an exposure of 2.0

# verify resolves ExecStart= and EnvironmentFile= on this machine: a copy names the staged files
sed -e "s#^ExecStart=/usr/#ExecStart=$root/usr/#" -e "s#^EnvironmentFile=/etc/#EnvironmentFile=$root/etc/#" \
  "$unit" >"$stage/routekaartd.service"
if ! out=$(cd "$stage" && systemd-analyze verify --man=no routekaartd.service 2>&1) || [ -n "$out" ]; then
  echo "$out"; fail "systemd-analyze verify found fault with the unit"
fi
ok "systemd-analyze verify accepts the unit without a word"

# security: SETTING (as systemd-analyze names it) that must be in effect
hardening=(User=/DynamicUser= NoNewPrivileges= 'CapabilityBoundingSet=~CAP_SYS_ADMIN' ProtectSystem= ProtectHome=
           PrivateTmp= PrivateDevices= ProtectKernelTunables= ProtectKernelModules= ProtectKernelLogs=
           ProtectControlGroups= 'RestrictNamespaces=~user' LockPersonality= MemoryDenyWriteExecute=
           RestrictRealtime= 'SystemCallFilter=~@privileged' 'SystemCallFilter=~@resources'
           SystemCallArchitectures= 'RestrictAddressFamilies=~AF_PACKET' 'RestrictAddressFamilies=~AF_NETLINK'
           'RestrictAddressFamilies=~…' UMask= ProtectClock= ProtectHostname= RestrictSUIDSGID=)
# analyse ROOT: the report in $report; the exit status of the threshold check
analyse() {
  report=$(cd "$stage" && systemd-analyze security --offline=yes --root="$1" --threshold=$threshold routekaartd.service 2>&1)
}
exposure() { sed -n 's/^→ Overall exposure level for routekaartd.service: \([0-9.]*\) .*/\1/p' <<<"$report"; }

analyse "$root" || { echo "$report"; fail "exposure $(exposure) is above 2.0"; }
e=$(exposure)
[ -n "$e" ] || { echo "$report"; fail "no overall exposure in the report"; }
for h in "${hardening[@]}"; do
  grep -q "^✓ $h " <<<"$report" || { grep -F "$h" <<<"$report"; fail "the analysis finds $h not in effect"; }
done
ok "systemd-analyze security: exposure $e (at most 2.0), with all ${#hardening[@]} hardening settings in effect"

# Self-test: without the hardening block the same check fails.
cp -a "$root" "$stage/bare"
sed -i '/^# Hardening/,/^\[Install\]/{/^\[Install\]/!d}' "$stage/bare/lib/systemd/system/routekaartd.service"
grep -q '^ProtectSystem' "$stage/bare/lib/systemd/system/routekaartd.service" && fail "self-test: the hardening was not removed"
if analyse "$stage/bare"; then fail "self-test: the unit without hardening passed (exposure $(exposure))"; fi
ok "self-test: without its hardening the unit fails the check (exposure $(exposure))"

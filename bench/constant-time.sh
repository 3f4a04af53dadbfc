#!/usr/bin/env bash
# Is crypto_equal (the comparison of every secret: edit tokens, API keys, Idempotency-Key
# hashes) constant time? Builds bench/constant-time.c against the service's library and runs it:
# a dudect-style timing check (Welch's t-test between inputs that differ in the first byte and in
# the last), with memcmp measured the same way as the control that must show its leak.
#
#   bench/constant-time.sh [MEASUREMENTS] [BYTES]   (default 1,000,000 and 1,024; about 20 s)
#
# Exit status 0 when crypto_equal shows no difference and memcmp does; 1 otherwise (also when
# the control's leak is not seen: the run then proves nothing). Results: bench/RESULTS.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s build/libroutekaart.a
pkgs="libmicrohttpd jansson libpq zlib nettle xlsxwriter"
# -O2 as the service is built: what is measured is the code that runs
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iservice -Ibuild -o build/bench-constant-time \
  bench/constant-time.c build/libroutekaart.a $(pkg-config --libs $pkgs) -lpthread -lm
build/bench-constant-time "$@"

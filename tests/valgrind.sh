#!/usr/bin/env bash
# The integration tests with every routekaartd they start running under valgrind's memcheck, and
# the unit tests under it as well: memory errors (invalid reads and writes, uses of uninitialised
# values, bad frees) and definite or indirect leaks at exit, on the paths the tests take.
#
#   tests/valgrind.sh [BINARY...]    (default: unit-tests integration-tests submission-tests
#                                     overview-tests cache-tests tile-tests web-tests)
#
# Builds with make binaries (the normal build, not a sanitizer one: valgrind and ASan do not mix)
# and sets up the test cluster var/pgtest afresh as tests/run.sh does (integration-tests stops and
# starts that cluster by name, so a `make test` must not run in this checkout at the same time).
# RK_SERVER points to a wrapper that execs
#
#   valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
#            --errors-for-leak-kinds=definite,indirect --error-exitcode=97 --track-fds=no
#            [--suppressions=tests/valgrind.supp] build/routekaartd
#
# so a server with a valgrind error exits 97 on SIGTERM, which the tests' teardown (server_stop)
# already fails on; `routekaartd keys create`, which the tests run through RK_SERVER, runs under
# it too. The unit tests run in one process (CK_FORK=no), under the same options.
#
# Everything is about 20-50 times slower under valgrind, so the waits are raised:
#   VALGRIND_TIMEOUT_MULTIPLIER=10   multiplies every check timeout (CK_TIMEOUT_MULTIPLIER)
#   RK_START_TIMEOUT_S=120           how long the harness waits for a server to listen
#
# Per binary it prints the tests passed and failed (and which failed), the servers started and the
# valgrind errors and leaks in their reports; valgrind's reports, one per process, and the servers'
# logs are in build/valgrind/BINARY/ (vg-PID.log, server-*.log). Exit status 1 when a test failed or
# valgrind reported an error in any process.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; fi

binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=(unit-tests integration-tests submission-tests overview-tests cache-tests tile-tests web-tests)

deploy/install-deps.sh
deploy/install-deps.sh --only valgrind
make -s binaries
build="$top/build"
out="$build/valgrind"
rm -rf "$out"
mkdir -p "$out"

vg=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=97 --track-fds=no --num-callers=30)
[ -f tests/valgrind.supp ] && vg+=(--suppressions="$top/tests/valgrind.supp")

# The wrapper the harness starts (and that the tests run `keys create` through). It execs, so the
# process the harness signals and waits for is valgrind's; each process writes its own report into
# the directory of the binary that started it.
wrapper="$out/routekaartd"
{
  echo '#!/bin/sh'
  printf 'exec'; printf ' %q' "${vg[@]}"; printf ' "--log-file=${RK_VALGRIND_DIR:?}/vg-%%p.log" %q "$@"\n' "$build/routekaartd"
} > "$wrapper"
chmod +x "$wrapper"

. "$top/tests/env.sh"
export RK_SERVER="$wrapper"   # RK_LOG_DIR is set per binary below
export CK_TIMEOUT_MULTIPLIER=${VALGRIND_TIMEOUT_MULTIPLIER:-10}
export RK_START_TIMEOUT_S=${RK_START_TIMEOUT_S:-120}

# Sums over the reports in a directory: processes, those without a summary (killed), those with
# errors, errors, definitely and indirectly lost bytes.
vg_totals() {
  awk '
    FNR == 1 { procs++ }
    /ERROR SUMMARY:/ { done++; n = $4; gsub(",", "", n); errors += n; if (n > 0) bad++ }
    /definitely lost:/ { b = $4; gsub(",", "", b); def += b }
    /indirectly lost:/ { b = $4; gsub(",", "", b); ind += b }
    END { printf "%d\t%d\t%d\t%d\t%d\t%d\n", procs, procs - done, bad, errors, def, ind }' "$1"/vg-*.log 2>/dev/null \
    || printf '0\t0\t0\t0\t0\t0\n'
}

status=0
summary="$out/summary.md"
{
  echo "| binary | tests | passed | failed | exit | processes under valgrind | unfinished | with errors | valgrind errors | definitely lost (bytes) | indirectly lost (bytes) | minutes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$summary"
for b in "${binaries[@]}"; do
  [ -x "$build/$b" ] || { echo "valgrind: no such test binary $build/$b" >&2; exit 2; }
  dir="$out/$b"
  mkdir -p "$dir"
  export RK_VALGRIND_DIR="$dir" RK_LOG_DIR="$dir"
  echo "== $b"
  began=$(date +%s)
  rc=0
  if [ "$b" = unit-tests ]; then
    CK_FORK=no "${vg[@]}" --log-file="$dir/vg-%p.log" "$build/$b" 2>&1 | tee "$dir/output.txt" || rc=$?
  else
    "$build/$b" 2>&1 | tee "$dir/output.txt" || rc=$?
  fi
  minutes=$(awk -v s=$(( $(date +%s) - began )) 'BEGIN {printf "%.1f", s / 60}')
  read -r checks failures errors < <(awk '/Checks: / {gsub(",", ""); print $3, $5, $7}' "$dir/output.txt" | tail -1; echo)
  IFS=$'\t' read -r procs unfinished bad vgerrors def ind < <(vg_totals "$dir")
  [ "$rc" = 0 ] && [ -n "$checks" ] && [ "$((failures + errors))" = 0 ] && [ "$bad" = 0 ] && [ "$unfinished" = 0 ] || status=1
  if [ -n "$checks" ]; then
    counts="$checks | $((checks - failures - errors)) | $((failures + errors))"
  else
    counts="- | - | -"   # it exited before check's summary (a fixture's exit, e.g. a server that did not stop cleanly)
  fi
  echo "| $b | $counts | $rc | $procs | $unfinished | $bad | $vgerrors | $def | $ind | $minutes |" >> "$summary"
  # which tests failed, as check names them; or the last words of a binary that gave no summary
  grep -E '^[^:]+:[0-9]+:[FE]:' "$dir/output.txt" | sed 's/^/    failed: /' >> "$summary" || true
  [ -n "$checks" ] || tail -2 "$dir/output.txt" | sed 's/^/    no summary: /' >> "$summary"
done

echo
echo "Under valgrind memcheck ($(valgrind --version)); reports in ${out#$top/}/BINARY/vg-PID.log"
echo
cat "$summary"
# The error reports themselves (without valgrind's preamble and summaries), for every process that
# had any or was killed before its summary.
for log in "$out"/*/vg-*.log; do
  [ -e "$log" ] || continue
  grep -q 'ERROR SUMMARY: 0 errors' "$log" && continue
  echo
  echo "--- ${log#$top/}: $(grep -m1 'Command:' "$log" | sed 's/^==[0-9]*== //')"
  awk '/Command:/ { hdr = 1 }
       hdr && !body && /^==[0-9]+== $/ { body = 1; next }
       body && /LEAK SUMMARY:|ERROR SUMMARY:/ { exit }
       body && !/HEAP SUMMARY:|in use at exit:|total heap usage:/ { sub(/^==[0-9]+== /, ""); print }' "$log" | head -300
done
exit $status

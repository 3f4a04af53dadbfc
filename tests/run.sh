#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests against a fresh throwaway PostGIS cluster
# (var/pgtest) with the reference and demo data, and real servers on free ports.
#   tests/run.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
cd "$top"

. "$top/tests/env.sh"
# libcheck would run only part of each suite if these came from the caller's environment
unset CK_RUN_SUITE CK_RUN_CASE CK_INCLUDE_TAGS CK_EXCLUDE_TAGS

status=0
# Runs test files that print an 'ok - ' line per check (SQL through psql, the others with bash and
# RK_BUILD set) and ends with "LABEL: N passed, N failed"; with list, each ok line is shown too.
#   check_files LABEL quiet|list FILE...
check_files() {
  local label=$1 show=$2 f n out run passed=0 failed=0
  shift 2
  for f in "$@"; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sql) run=(psql -X -q -v ON_ERROR_STOP=1 -f "$f") ;;
      *) run=(env RK_BUILD="$build" bash "$f") ;;
    esac
    if out=$("${run[@]}" 2>&1); then
      n=$(grep -c 'ok - ' <<<"$out" || true)
      if [ "$n" -gt 0 ]; then
        passed=$((passed + n))
        [ "$show" = list ] && grep 'ok - ' <<<"$out" | sed "s#^#$(basename "$f" | sed 's/\.[a-z]*$//'): #"
      else
        # a test file that checks nothing is a defect, not a pass
        failed=$((failed + 1)); status=1
        echo "$f ran but reported no check (no 'ok - ' line)"
      fi
    else
      failed=$((failed + 1)); status=1
      echo "$f failed:"; tail -30 <<<"$out"
    fi
  done
  echo "$label: $passed passed, $failed failed"
}

echo "== static check: each layer of service/ uses only those below it; libpq only in the store (tests/layers.py)"
if ! out=$(python3 tests/layers.py --self-test 2>&1); then
  echo "$out"; echo "the check's self-test failed"; status=1
fi
if out=$(python3 tests/layers.py 2>&1); then tail -1 <<<"$out"; else echo "$out"; status=1; fi
echo "== static check: no SQL text is made from a request (tests/no-sql-from-request.py)"
if ! out=$(python3 tests/no-sql-from-request.py --self-test 2>&1); then
  echo "$out"; echo "the check's self-test failed"; status=1
fi
if out=$(python3 tests/no-sql-from-request.py 2>&1); then tail -1 <<<"$out"; else echo "$out"; status=1; fi
echo "== database tests (sql/selftest.sql, sql/tests/*.sql, sql/tests/*.sh)"
check_files database quiet sql/selftest.sql sql/tests/*.sql sql/tests/*.sh
# Every C suite: tests/NAME.c is built as $build/NAME-tests; the first sentence of its opening
# comment says what it tests.
for src in tests/*.c; do
  name=$(basename "$src" .c)
  [ "$name" = harness ] && continue
  what=$(sed -n '1,3{s#^/\* *##;s#^ \* *##;p}' "$src" | tr '\n' ' ' | sed 's/:.*//;s/\. .*//')
  echo "== $name-tests: $what"
  "$build/$name-tests" || status=1
done
# The operations tests: the service as a hosting party runs it (its own servers, nginx in front, a
# standby, backups, the service manager); each tests/ops/NAME.sh prints an 'ok - ' line per check.
echo "== operations tests (tests/ops/*.sh)"
check_files operations list tests/ops/*.sh
echo "== browser tests: the map and the submission form in headless Chromium (screenshots: $RK_ARTIFACT_DIR)"
rm -rf "$RK_ARTIFACT_DIR"
node --test --test-concurrency=1 tests/browser/*.test.mjs || status=1
exit $status

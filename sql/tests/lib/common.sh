# Sourced by the shell tests in sql/tests/: helpers to make throwaway databases in the test
# cluster (the libpq environment of tests/run.sh, as a superuser) and to compare them.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
failed=0
databases=()

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

# A new empty database; dropped when the test exits.
new_database() {
  local db="rk_test_$1_$$"
  dropdb --if-exists "$db" 2>/dev/null || true
  createdb "$db"
  databases+=("$db")
  echo "$db"
}
TMPDIR_=$(mktemp -d)
cleanup() {
  local db
  for db in "${databases[@]}"; do dropdb --if-exists "$db" 2>/dev/null || true; done
  rm -rf "$TMPDIR_"
}
trap cleanup EXIT

migrate() { local db=$1; shift; PGDATABASE=$db "$top/sql/migrate.sh" "$@" >/dev/null; }

# The catalogue of a database as pg_dump --schema-only writes it (with a fixed \restrict key, where
# pg_dump has one, so that two dumps of the same catalogue are the same bytes).
schema_dump() {
  local key=()
  case "$(pg_dump --help)" in *--restrict-key*) key=(--restrict-key=routekaart) ;; esac
  pg_dump --schema-only "${key[@]}" -d "$1"
}

# Count and md5 of the rows of every table of ref, kaart and audit, and of the migrations applied
# before the split: one line per table.
table_digests() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f "$top/sql/tests/lib/table-digests.sql"; }

finish() { exit $failed; }

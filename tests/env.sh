# Sourced by tests/run.sh and tests/valgrind.sh, with top (the checkout) and build (the build
# directory) set: sets up the test cluster var/pgtest afresh, stops it when the script exits, and
# exports what the test binaries read. RK_SERVER is the server the harness starts; a script that
# runs it otherwise (valgrind.sh: its wrapper) sets it again afterwards.
export RK_PG_FAST=1   # the test cluster may lose data on a crash: it is thrown away anyway
"$top/deploy/db-setup.sh" pgtest --fresh
trap '"$top/deploy/pg.sh" stop pgtest >/dev/null 2>&1 || true' EXIT
set -a; . "$top/var/pgtest.env"; set +a

export RK_TOP=$top
export RK_SERVER="$build/routekaartd"
export RK_TEST_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_app"
export RK_TEST_DATABASE_READ_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_web"
export RK_LOG_DIR="$build/test-logs"
export RK_WEB_ROOT="$build/web"
export RK_ARTIFACT_DIR="$build/test-artifacts"
mkdir -p "$RK_LOG_DIR"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}

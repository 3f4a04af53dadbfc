#!/usr/bin/env bash
# Sets up the embedded database NAME (var/NAME): starts the cluster, applies the migrations, loads
# the reference data and the demo data. Quick when already done: migrations that ran are skipped,
# and reference and demo data are loaded only into an empty database.
#   deploy/db-setup.sh NAME [--fresh]   (--fresh: throw the cluster away first)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: db-setup.sh NAME [--fresh]}
if [ "${2:-}" = "--fresh" ]; then "$top/deploy/pg.sh" destroy "$name"; fi

"$top/deploy/pg.sh" start "$name"
set -a; . "$top/var/$name.env"; set +a

"$top/sql/migrate.sh"
if [ "$(psql -XAtqc 'select count(*) from ref.region')" = 0 ]; then
  "$top/geo/load-reference.sh"
fi
if [ "$(psql -XAtqc 'select count(*) from kaart.initiative')" = 0 ]; then
  "$top/geo/demo.sh"
fi

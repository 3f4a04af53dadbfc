#!/usr/bin/env bash
# Sets up the embedded database NAME (var/NAME): starts the cluster, then as on any other server
# (deploy/db-init.sh) the DBA step as the cluster's superuser and the migrations as routekaart_owner,
# and loads the reference data and the demo data as routekaart_owner. Quick when already done:
# migrations that ran are skipped, and reference and demo data are loaded only into an empty
# database.
#   deploy/db-setup.sh NAME [--fresh]   (--fresh: throw the cluster away first)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: db-setup.sh NAME [--fresh]}
if [ "${2:-}" = "--fresh" ]; then "$top/deploy/pg.sh" destroy "$name"; fi

"$top/deploy/pg.sh" start "$name"
set -a; . "$top/var/$name.env"; set +a

"$top/deploy/db-init.sh" --url "postgresql:///$PGDATABASE?host=$PGHOST&port=$PGPORT&user=$PGUSER"
# the data as the owner too: a hosting party loads it without a superuser
if [ "$(psql -XAtqc 'select count(*) from ref.region')" = 0 ]; then
  PGUSER=routekaart_owner "$top/geo/load-reference.sh"
fi
if [ "$(psql -XAtqc 'select count(*) from kaart.initiative')" = 0 ]; then
  PGUSER=routekaart_owner "$top/geo/demo.sh"
fi

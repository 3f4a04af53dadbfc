#!/usr/bin/env bash
# Serves the map from the embedded database NAME: deploy/serve.sh BUILD_DIR NAME PORT
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd) name=$2 port=$3
bin=$build/routekaartd
set -a; . "$top/var/$name.env"; set +a
export DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_app"
export DATABASE_READ_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_web"
export PORT=$port
export WEB_ROOT=${WEB_ROOT:-$build/web}
echo
echo "  routekaart is starting: open http://localhost:$port/"
echo "  the map data:  http://localhost:$port/collections/initiatives/items"
echo "  the API:       http://localhost:$port/api"
echo "  Ctrl-C stops the server; 'make stop' stops the database (its data is kept in var/)."
echo
exec "$bin"

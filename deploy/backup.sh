#!/usr/bin/env bash
# A physical backup of the whole PostgreSQL cluster that holds routekaart's database: a base backup
# (pg_basebackup, with the WAL that makes it consistent), checked against its manifest.
#
#   deploy/backup.sh --url URL --to DIR      writes DIR/base-YYYYmmddTHHMMSSZ/ and prints its name
#
#   --url URL   a replication connection to the server (a role with REPLICATION, and a
#               "replication" line in pg_hba.conf), postgresql://USER@HOST/...; no password in it:
#               PGPASSFILE or ~/.pgpass
#   --to DIR    the backup directory (on another disk or machine than the cluster)
#
# A base backup alone restores the cluster as it was when the backup ended. For point-in-time
# recovery up to the last minute, also archive the WAL as it is written (deploy/archive-wal.sh as
# the server's archive_command); deploy/restore.sh replays it. Run it as the user that will own
# the restored files (postgres). Prints the backup's directory, its size and its WAL end point.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "backup: $*" >&2; exit 1; }
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
url="" to=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url|--to) [ $# -ge 2 ] || die "$1 needs a value"; declare "${1#--}=$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ -n "$url" ] && [ -n "$to" ] || die "give --url URL and --to DIR (try --help)"
python3 "$top/deploy/lib/pgurl.py" check "$url" || exit 1
mkdir -p "$to"
dest="$to/base-$(date -u +%Y%m%dT%H%M%SZ)"
[ ! -e "$dest" ] || die "$dest exists already"

t0=$(date +%s%N)
# -X stream: the WAL written meanwhile comes along, so the copy is consistent on its own;
# -c fast: begin at once with an immediate checkpoint
"$pgbin/pg_basebackup" -d "$url" -D "$dest.partial" -Fp -X stream -c fast \
  --manifest-checksums=SHA256 -l "routekaart $(basename "$dest")" -v 2>"$to/.backup.log" \
  || { cat "$to/.backup.log" >&2; rm -rf "$dest.partial"; die "pg_basebackup failed"; }
"$pgbin/pg_verifybackup" -q "$dest.partial" || { rm -rf "$dest.partial"; die "the backup does not match its manifest"; }
sync -f "$dest.partial" 2>/dev/null || sync
mv "$dest.partial" "$dest"
t1=$(date +%s%N)
end=$(sed -n 's/.*write-ahead log end point: //p' "$to/.backup.log")
mv "$to/.backup.log" "$dest.log"
printf 'backup: %s (%s, WAL end point %s, %d ms)\n' "$dest" "$(du -sh "$dest" | cut -f1)" "$end" $(( (t1 - t0) / 1000000 ))

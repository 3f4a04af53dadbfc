#!/usr/bin/env bash
# Restores a base backup of deploy/backup.sh into a new data directory, and prepares the recovery
# that replays the archived WAL (deploy/archive-wal.sh) up to its end or to a point in time.
#
#   deploy/restore.sh --from DIR/base-... --pgdata NEWDIR [--wal ARCHIVE_DIR] [--target-time TIME]
#
#   --from          a base backup (checked against its manifest first)
#   --pgdata        the new data directory: absent or empty
#   --wal           the WAL archive: replay everything archived after the backup (the last
#                   minute is lost at most, with archive_timeout = 60); without it the cluster is
#                   as it was when the backup ended
#   --target-time   with --wal: stop replaying at this time ('2026-12-07 14:00:00+00'), e.g.
#                   just before a mistake
#
# Then start it (pg_ctl -D NEWDIR start, or the service manager's unit). Recovery runs at start;
# when it has replayed what it should, the server is promoted and takes writes. Archiving is off in
# the restored cluster (archive_mode = off in postgresql.auto.conf) so that it never writes into
# the archive it came from; turn it on again, to a new archive, once it is the production server.
# Run it as the user that owns the cluster (postgres).
set -euo pipefail
die() { echo "restore: $*" >&2; exit 1; }
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
from="" pgdata="" wal="" target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from|--pgdata|--wal|--target-time)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in --from) from=$2 ;; --pgdata) pgdata=$2 ;; --wal) wal=$2 ;; *) target=$2 ;; esac
      shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ -n "$from" ] && [ -n "$pgdata" ] || die "give --from BACKUP and --pgdata NEWDIR (try --help)"
[ -f "$from/backup_manifest" ] || die "$from is not a base backup of deploy/backup.sh (no backup_manifest)"
[ -z "$target" ] || [ -n "$wal" ] || die "--target-time needs --wal"
[ -z "$wal" ] || [ -d "$wal" ] || die "no WAL archive at $wal"
if [ -e "$pgdata" ] && [ -n "$(ls -A "$pgdata")" ]; then die "$pgdata is not empty"; fi
case "$wal" in *\'*) die "the archive's path may not contain a quote" ;; esac

"$pgbin/pg_verifybackup" -q "$from" || die "the backup does not match its manifest"
mkdir -p "$pgdata"
chmod 700 "$pgdata"
cp -a "$from/." "$pgdata/"
rm -f "$pgdata/backup_manifest"
{
  echo "# deploy/restore.sh, $(date -u +%FT%TZ), from $(basename "$from")"
  echo "archive_mode = off"
  if [ -n "$wal" ]; then
    echo "restore_command = 'cp ''$(cd "$wal" && pwd)''/%f %p'"
    echo "recovery_target_action = 'promote'"
    [ -z "$target" ] || echo "recovery_target_time = '${target//\'/}'"
  fi
} >> "$pgdata/postgresql.auto.conf"
[ -z "$wal" ] || touch "$pgdata/recovery.signal"
echo "restore: $pgdata is ready; start it (pg_ctl -D $pgdata start): it$([ -n "$wal" ] && echo " replays the archived WAL${target:+ up to $target}, then") takes writes"

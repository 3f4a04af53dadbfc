#!/usr/bin/env bash
# The server's archive_command: copies one finished WAL segment into the WAL archive, durably.
#
#   archive_command = '/path/to/deploy/archive-wal.sh %p /backup/wal'    (postgresql.conf)
#   archive_mode = on
#   archive_timeout = 60    (a segment at least every minute: the RPO)
#
# Never overwrites: a segment already archived with the same content is success (a retry after a
# crash), with other content an error, which PostgreSQL retries and logs until someone looks.
set -euo pipefail
src=${1:?usage: archive-wal.sh %p ARCHIVE_DIR} dir=${2:?usage: archive-wal.sh %p ARCHIVE_DIR}
name=$(basename "$src")
if [ -e "$dir/$name" ]; then
  cmp -s "$src" "$dir/$name" && exit 0
  echo "archive-wal: $dir/$name exists with other content" >&2; exit 1
fi
cp "$src" "$dir/.$name.tmp"
sync -f "$dir/.$name.tmp" 2>/dev/null || sync
mv "$dir/.$name.tmp" "$dir/$name"
sync -f "$dir" 2>/dev/null || true

#!/usr/bin/env bash
# `make deb`: the package's contents, control fields and maintainer scripts; its dependencies are
# the packages of the libraries the binary loads; extracted into a temporary root (not installed:
# the machine stays as it was), the packaged binary runs.
set -euo pipefail
. "$(dirname "$0")/lib/make-install.sh"

stage=$(mktemp -d /tmp/rk-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
arch=$(dpkg --print-architecture)
deb=$build/routekaart_${version}_$arch.deb
rm -f "$deb"
rk_make deb >/dev/null
[ -s "$deb" ] || fail "make deb did not make $deb"

contents=$(dpkg-deb --contents "$deb")
for f in ./usr/sbin/routekaartd ./lib/systemd/system/routekaartd.service ./etc/routekaart/routekaartd.env \
         ./usr/share/man/man8/routekaartd.8.gz ./usr/share/doc/routekaart/copyright ./usr/share/doc/routekaart/changelog.gz ./usr/share/routekaart/web/index.html \
         ./usr/share/routekaart/sql/migrate.sh ./usr/share/routekaart/geo/codelists.json; do
  grep -q " $f\$" <<<"$contents" || fail "the package does not hold $f"
done
others=$(awk '$2 != "root/root"' <<<"$contents")
[ -z "$others" ] || fail "files not owned by root: $others"
grep -q '^-rw-r----- .* \./etc/routekaart/routekaartd.env$' <<<"$contents" || fail "the environment file is readable by others"
ok "the package holds the binary, unit, environment file, manual page, website and SQL, owned by root"

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = routekaart ] && [ "$(field Version)" = "$version" ] && [ "$(field Architecture)" = "$arch" ] \
  || fail "control: $(field Package) $(field Version) $(field Architecture)"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/routekaart/routekaartd.env ] \
  || fail "the environment file is not the package's conffile"
depends=$(field Depends)
# the package of every library the binary names (NEEDED; theirs bring their own) is a dependency
needed=$(objdump -p "$build/routekaartd" | awk '$1 == "NEEDED" {print $2}')
[ -n "$needed" ] || fail "the binary names no library"
for soname in $needed; do
  lib=$(ldd "$build/routekaartd" | awk -v s="$soname" '$1 == s && $3 ~ /^\// {print $3}')
  [ -n "$lib" ] || fail "ldd does not find $soname"
  pkg=$(dpkg -S "$(realpath "$lib")" 2>/dev/null | head -1 | cut -d: -f1) \
    || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || fail "no package holds $lib"
  grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends" || fail "$lib is from $pkg, which Depends does not name: $depends"
done
for p in libmicrohttpd12 libjansson4 libpq5 zlib1g libnettle8 adduser; do
  grep -Eq "(^|, )$p( |,|$)" <<<"$depends" || fail "Depends does not name $p: $depends"
done
grep -q "postgresql-client" <<<"$depends" || fail "Depends does not name psql's package (for migrate.sh)"
ok "Depends names the package of each of the $(wc -w <<<"$needed") libraries the binary needs, adduser and psql: $depends"

ctrl=$stage/control
mkdir "$ctrl"; dpkg-deb --control "$deb" "$ctrl"
for s in postinst prerm postrm; do
  [ -x "$ctrl/$s" ] || fail "no executable $s"
  sh -n "$ctrl/$s" || fail "$s is not valid sh"
done
grep -q 'adduser --system .*routekaart' "$ctrl/postinst" && grep -q 'deb-systemd-helper enable routekaartd.service' "$ctrl/postinst" \
  && grep -q 'chmod 0640 /etc/routekaart/routekaartd.env' "$ctrl/postinst" \
  || fail "postinst does not create the user, protect the environment file or enable the unit"
ok "postinst creates the system user routekaart, makes the environment file its group's only and enables the unit; the scripts are valid sh"

x=$stage/root
dpkg-deb -x "$deb" "$x"
"$x/usr/sbin/routekaartd" --help | grep -q '^Usage: routekaartd' || fail "the packaged binary's --help"
[ "$("$x/usr/sbin/routekaartd" --version)" = "routekaartd $version" ] || fail "the packaged binary's --version"
zcat "$x/usr/share/man/man8/routekaartd.8.gz" | grep -q '^\.TH ROUTEKAARTD' || fail "the packaged manual page"
ok "extracted, the packaged binary answers --help and --version; its manual page reads"

# lintian is optional (not in deploy/install-deps.sh); where it is installed, it finds no error
if command -v lintian >/dev/null; then
  out=$(lintian --tag-display-limit 0 "$deb" 2>&1) || { echo "$out"; fail "lintian found errors"; }
  ok "lintian finds no error$(grep -c '^W: ' <<<"$out" | sed 's/^0$//; s/^[1-9].*/ (warnings: &)/')"
fi

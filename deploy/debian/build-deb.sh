#!/usr/bin/env bash
# Makes the Debian package from a staging root that `make install PREFIX=/usr DESTDIR=ROOT` filled:
# the control file (the shared libraries' packages by dpkg-shlibdeps), the conffiles, the
# maintainer scripts of this folder, then dpkg-deb. `make deb` runs it.
#   deploy/debian/build-deb.sh ROOT VERSION OUT.deb
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${1:?usage: build-deb.sh ROOT VERSION OUT.deb}" && pwd) version=${2:?} out=${3:?}
maintainer=${DEB_MAINTAINER:-routekaart <beheer@routekaart.invalid>}
die() { echo "build-deb: $*" >&2; exit 1; }
for t in dpkg-deb dpkg-shlibdeps gzip; do command -v $t >/dev/null || die "$t not found (install dpkg-dev)"; done
[ -x "$root/usr/sbin/routekaartd" ] || die "$root/usr/sbin/routekaartd missing: install into ROOT first"

# Debian compresses manual pages and changelogs (-n leaves the time out, so the same input makes the
# same bytes), strips binaries, and documents a package in /usr/share/doc.
gzip -9nf "$root/usr/share/man/man8/routekaartd.8"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/routekaartd"
doc=$root/usr/share/doc/routekaart
install -D -m 0644 "$here/copyright" "$doc/copyright"
when=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")
printf 'routekaart (%s) unstable; urgency=medium\n\n  * Release %s; its changes are in the history of the source.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$when" | gzip -9n >"$doc/changelog.gz"
install -D -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/routekaart"

# dpkg-shlibdeps works in a source tree: give it the least of one, outside the package.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/debian"
printf 'Source: routekaart\n\nPackage: routekaart\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O "$root/usr/sbin/routekaartd" 2>"$work/shlibdeps.err") \
  || { cat "$work/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
depends=${shlibs#shlibs:Depends=}
[ -n "$depends" ] || die "dpkg-shlibdeps named no dependency"

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: routekaart
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends, adduser, postgresql-client-15 | postgresql-client (>= 15)
Recommends: python3
Suggests: postgresql-15-postgis-3, nginx
Section: web
Priority: optional
Description: map of vmbo-mbo cooperation initiatives as GeoJSON (OGC API - Features)
 routekaartd serves the cooperation initiatives of vmbo schools, mbo
 institutions and companies from a PostgreSQL/PostGIS database as GeoJSON and
 vector tiles, with the public map, the submission form and the moderation
 API. The package
 holds the server, its website, a systemd unit with an environment file in
 /etc/routekaart, and the SQL that sets up and migrates the database
 (/usr/share/routekaart/sql/migrate.sh).
CONTROL
# The environment file is the administrator's: an upgrade keeps their changes.
(cd "$root" && find etc -type f | sed 's#^#/#') >"$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$root/DEBIAN/$s"; done

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "  DEB $out"

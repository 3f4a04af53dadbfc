# Sourced by the operations tests of installing (install.sh, package.sh, systemd.sh), from
# tests/run.sh with RK_BUILD set: rk_make runs make on that build directory (with the SANITIZE it
# was built with), so a staged installation holds the binary the other tests ran; ok and fail
# report as tests/run.sh counts.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build=$(cd "${RK_BUILD:?RK_BUILD must be set (tests/run.sh does)}" && pwd)
build_rel=$(realpath --relative-to="$top" "$build")
sanitize=${build_rel#build}; sanitize=${sanitize#-}; sanitize=${sanitize//-/,}
version=$(cat "$top/VERSION")

rk_make() { make -s --no-print-directory -C "$top" BUILD="$build_rel" SANITIZE="$sanitize" "$@"; }
ok() { echo "ok - $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# The names of the settings `routekaartd --help` lists under "Environment:".
help_settings() { "$1" --help | sed -n '/^Environment:/,$p' | sed -n 's/^  \([A-Z][A-Z_]*\) .*/\1/p'; }

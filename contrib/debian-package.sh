#!/bin/bash
# debian-package.sh - build the Debian package from the files git tracks (their state in
# the working tree), run lintian on it, install it with apt-get, check what it installed
# (policyd -t on /etc/policyd/policyd.conf, the policyd account, the unit, the
# conffiles), then purge it and remove the account it created: the machine is left as
# it was. Prints TAP lines and automake's "# PASS:" / "# FAIL:" totals (for .ci/run).
#
#   contrib/debian-package.sh [OUTDIR]   keep the .deb in OUTDIR (default: a temporary
#                                        folder, removed at the end)
#
# Needs root (apt-get install, purge), dpkg-dev, debhelper, lintian and the build
# dependencies of debian/control (contrib/dev.sh package installs them). KEEP=1 keeps
# the work folder (build log, lintian output).
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/tests/integration/lib.sh" # ok, is, need, the folder $T (removed on exit)
cd "$top_srcdir"
work=$T
out=${1:-$work}
user_before=0
getent passwd policyd >/dev/null && user_before=1

# Totals in automake's format (for .ci/run), then the plan; exit 0 when nothing failed.
finish() {
    echo "# PASS:  $((TAP_N - TAP_FAILED))"
    echo "# FAIL:  $TAP_FAILED"
    done_testing
}

if [ "$(id -u)" -ne 0 ]; then
    echo "Bail out! must run as root (apt-get install and purge)"
    exit 1
fi
need dpkg-buildpackage dh lintian apt-get git
if dpkg-query -W -f='${Status}' policyd 2>/dev/null | grep -q "ok installed"; then
    echo "Bail out! a policyd package is installed already; not touching it"
    exit 1
fi

# --- build ------------------------------------------------------------------------------
mkdir -p "$work/src" "$out"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work/src"
(cd "$work/src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
    >"$work/build.log" 2>&1
ok $? "dpkg-buildpackage -us -uc -b builds the package"
deb=$(ls "$work"/policyd_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && [ -f "$deb" ]
ok $? "a policyd_*.deb was built ($(basename "${deb:-none}"))"
if [ -z "$deb" ]; then
    tail -40 "$work/build.log" | sed 's/^/#   /'
    finish
fi
[ "$out" != "$work" ] && cp "$deb" "$out/"

# --- lintian: no error (warnings are shown) -----------------------------------------------
lintian --fail-on error "$deb" >"$work/lintian.log" 2>&1
ok $? "lintian reports no error"
sed 's/^/#   lintian: /' "$work/lintian.log"

# --- contents ------------------------------------------------------------------------------
dpkg-deb -c "$deb" >"$work/contents"
for f in ./usr/sbin/policyd ./usr/sbin/policyctl ./etc/policyd/policyd.conf \
    ./etc/policyd/rules/large-mailhosts.rules ./etc/policyd/signatures/rejections.sig \
    ./lib/systemd/system/policyd.service ./usr/share/man/man5/policyd-signatures.5.gz \
    ./usr/share/man/man8/policyd.8.gz ./usr/share/man/man8/policyctl.8.gz \
    ./usr/share/man/man5/policyd.conf.5.gz ./usr/share/man/man5/policyd-rules.5.gz \
    ./usr/share/doc/policyd/examples/main.cf ./usr/share/doc/policyd/README.md.gz; do
    grep -q " $f\$" "$work/contents"
    ok $? "the package holds $f"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles >"$work/conffiles" 2>/dev/null
grep -qx /etc/policyd/policyd.conf "$work/conffiles" &&
    grep -qx /etc/policyd/rules/large-mailhosts.rules "$work/conffiles" &&
    grep -qx /etc/policyd/signatures/rejections.sig "$work/conffiles"
ok $? "the configuration, the rules and the signatures are conffiles (upgrades keep local changes)"
grep -q '^WatchdogSec=' <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/policyd.service)
ok $? "the unit asks for the watchdog (WatchdogSec=)"

# --- install, check, purge -------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/install.log" 2>&1
ok $? "apt-get install ./$(basename "$deb")"
[ "$TAP_FAILED" -gt 0 ] && tail -20 "$work/install.log" | sed 's/^/#   /'
getent passwd policyd >/dev/null && getent group policyd >/dev/null
ok $? "the policyd user and group exist"
got=$(/usr/sbin/policyd -t -c /etc/policyd/policyd.conf 2>"$work/t.err"); rc=$?
case "$rc:$got" in
0:*" rules from 1 files, 2 routes"$'\n'[1-9]*" signatures from 1 files") ok 0 "policyd -t passes on the installed configuration: $got" ;;
*) ok 1 "policyd -t passes on the installed configuration ($rc: $got)"; sed 's/^/#   /' "$work/t.err" ;;
esac
[ ! -s "$work/t.err" ]
ok $? "policyd -t has no warning (the user exists)"
/usr/sbin/policyctl -c /etc/policyd/policyd.conf check >/dev/null 2>&1
ok $? "policyctl check passes on the installed configuration"

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq policyd >"$work/purge.log" 2>&1
ok $? "apt-get purge policyd"
! dpkg-query -W -f='${Status}' policyd 2>/dev/null | grep -q "installed" && [ ! -e /etc/policyd ] &&
    [ ! -e /usr/sbin/policyd ]
ok $? "purge removed the package, its binaries and /etc/policyd"
if [ "$user_before" -eq 0 ]; then
    deluser --system --quiet policyd >/dev/null 2>&1
    getent group policyd >/dev/null && delgroup --system --quiet policyd >/dev/null 2>&1
    ! getent passwd policyd >/dev/null && ! getent group policyd >/dev/null
    ok $? "the policyd account made by the install is removed again"
fi
finish

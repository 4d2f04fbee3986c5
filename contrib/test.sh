#!/usr/bin/env bash
# contrib/test.sh — install what the build and the tests need, build, and run
# the whole test suite (t/run.sh: unit tests and tests against real MariaDB,
# slapd and nginx). Debian 12, as root (the tests start nginx and drop the
# service's privileges).
#
# usage: contrib/test.sh [--sanitizers] [--no-deps] [--deps-only] [--build-only] [-- PROVE-ARGS...]
#   --sanitizers   build with ./configure --enable-sanitizers (ASan+UBSan)
#                  and give the tests more time (TEST_TIME_FACTOR=3)
#   --no-deps      do not install Debian packages
#   --deps-only    only install them
#   --build-only   install them and build the service, in the tree as it is
#                  configured (contrib/ha-lab.sh); run no test
# Extra arguments go to t/run.sh (prove options, test files).
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with .ci/run.
PACKAGES="build-essential autoconf automake libtool pkg-config
	libfcgi-dev libmariadb-dev libyajl-dev libyaml-dev libssl-dev libldap-dev
	libcurl4-openssl-dev
	mariadb-server slapd ldap-utils nginx curl jq wrk openssl ca-certificates python3 socat debhelper
	kubernetes-client lintian
	galera-4 rsync mariadb-backup haproxy
	chromium chromium-driver python3-selenium"

sanitizers=0 deps=1 build=1 tests=1
while [ $# -gt 0 ]; do
	case $1 in
	--sanitizers) sanitizers=1 ;;
	--no-deps) deps=0 ;;
	--deps-only) build=0 ;;
	--build-only) tests=0 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
	shift
done

install_deps() {
	local missing
	# Skip apt entirely when everything is there: re-runs stay fast.
	# shellcheck disable=SC2086
	missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PACKAGES 2>&1 |
		awk '$1 != "ii" { print $NF }') || true
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "contrib/test.sh: missing packages (run as root to install): $missing" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Packages must not start their daemons (slapd, mariadb, nginx) on the
	# system ports: the tests start their own.
	[ -e /usr/sbin/policy-rc.d ] || {
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
	}
	apt-get update
	"$(dirname "$0")/set-aside-kubectl.sh"
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $PACKAGES
}

if [ "$deps" = 1 ]; then
	install_deps
fi
[ "$build" = 1 ] || exit 0
if [ "$tests" = 0 ]; then
	[ -f Makefile ] || { [ -x configure ] || ./autogen.sh; ./configure; }
	exec make -j"$(nproc)" kubernetes-auth >/dev/null
fi

# Build in the source tree; reconfigure when the sanitizer choice changed.
[ -x configure ] || ./autogen.sh
have=0
[ -f config.status ] && ./config.status --config | grep -q -- '--enable-sanitizers' && have=1
if [ ! -f config.status ] || [ "$have" != "$sanitizers" ]; then
	if [ "$sanitizers" = 1 ]; then
		./configure --enable-sanitizers
	else
		./configure
	fi
	# Objects built the other way must not be reused.
	make clean >/dev/null
fi
make -j"$(nproc)"
# The unit test programs, without running make's own test driver.
make -j"$(nproc)" check TESTS=

if [ "$sanitizers" = 1 ]; then
	export TEST_TIME_FACTOR=${TEST_TIME_FACTOR:-3}
fi
exec t/run.sh "$@"

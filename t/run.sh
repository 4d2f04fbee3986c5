#!/usr/bin/env bash
# t/run.sh — run the test suite with prove, sharing one MariaDB and one slapd.
#
# usage: t/run.sh [PROVE-OPTIONS] [TEST-FILES...]      (default: t/*.t)
#   e.g. t/run.sh t/3001-healthz.t;  t/run.sh -j3;  t/run.sh -v t/1*.t
#
# Starts the shared services once, exports where they are (KA_SHARED_*,
# KA_PKI_DIR, KA_MARIADB_TEMPLATE, KA_PORT_REGISTRY) and runs prove; each
# test still gets its own database, its own service and its own nginx (see
# t/lib/). Stops everything at the end and exits with prove's status.
#
# Environment: KA_BUILDDIR (where the binary is: default the source tree),
# TEST_TIME_FACTOR (multiply waits, e.g. 3 under sanitizers),
# TEST_REQUIRE_SERVICES=1 (a missing service fails instead of skipping),
# KA_KEEP_TMP=1 (keep the tests' temporary directories).
set -uo pipefail

# Not exported: every test makes its own $T.
T=$(mktemp -d /tmp/ka-run.XXXXXX) || exit 1
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
cd "$KA_SRCDIR" || exit 1
# The libraries remove only the directories they made themselves.
if [ "${KA_KEEP_TMP:-0}" = 1 ]; then
	at_exit "echo 't/run.sh: kept $T' >&2"
else
	at_exit "rm -rf '$T'"
fi

say() { printf 't/run.sh: %s\n' "$*" >&2; }

missing=0
started=$EPOCHREALTIME
export KA_PORT_REGISTRY

if pki_setup "$T/pki"; then
	KA_PKI_DIR=$PKI_DIR
	export KA_PKI_DIR
else
	say "could not create the test PKI"
	missing=1
fi

if ! _mariadb_have; then
	say "MariaDB is not installed: tests that need it will skip"
	missing=1
elif mariadb_make_template "$T/my-template" && _mariadb_start_new "$T/my"; then
	KA_SHARED_MARIADB_SOCK=$T/my/sock
	KA_SHARED_MARIADB_PORT=$(cat "$T/my/port")
	export KA_SHARED_MARIADB_SOCK KA_SHARED_MARIADB_PORT
else
	say "could not start the shared MariaDB"
	missing=1
fi

if ! _slapd_have; then
	say "slapd or ldap-utils is not installed: tests that need them will skip"
	missing=1
elif [ -n "${KA_PKI_DIR:-}" ] && _slapd_start_new "$T/ldap"; then
	KA_SHARED_LDAP_PORT=$(cat "$T/ldap/ldap.port")
	KA_SHARED_LDAPS_PORT=$(cat "$T/ldap/ldaps.port")
	KA_SHARED_LDAP_URL=ldap://127.0.0.1:$KA_SHARED_LDAP_PORT
	KA_SHARED_LDAP_BIND_PASSWORD_FILE=$T/ldap/bind.pass
	KA_SHARED_LDAP_ROOT_PASSWORD_FILE=$T/ldap/root.pass
	export KA_SHARED_LDAP_PORT KA_SHARED_LDAPS_PORT KA_SHARED_LDAP_URL \
		KA_SHARED_LDAP_BIND_PASSWORD_FILE KA_SHARED_LDAP_ROOT_PASSWORD_FILE
else
	say "could not start the shared slapd"
	missing=1
fi

if [ "$missing" = 1 ] && [ "${TEST_REQUIRE_SERVICES:-0}" = 1 ]; then
	say "TEST_REQUIRE_SERVICES=1: stopping"
	exit 1
fi
[ -x "$KA_BIN" ] || say "warning: no $KA_BIN (build first: ./autogen.sh && ./configure && make)"
say "shared services up in $(elapsed "$started") s" \
	"(MariaDB ${KA_SHARED_MARIADB_PORT:--}, slapd ${KA_SHARED_LDAP_PORT:--}/${KA_SHARED_LDAPS_PORT:--})"

# Every test leaves its logs, database dump and the secrets it used here;
# t/9999-secrets-hygiene.t (sorted last) checks them. The shared services'
# own secrets are listed too.
KA_AUDIT_DIR=$T/audit
mkdir -p "$KA_AUDIT_DIR/run"
[ -f "$T/.secrets" ] && cp "$T/.secrets" "$KA_AUDIT_DIR/run/secrets"
export KA_AUDIT_DIR

# Tests are bash scripts (as for make check's TAP driver). The secrets
# hygiene test reads what all the others leave behind: it runs after them,
# on its own (prove -jN would start it beside the last ones).
opts=() files=() rest=() hygiene=
for a in "$@"; do
	if [ -e "$a" ]; then files+=("$a"); else opts+=("$a"); fi
done
[ ${#files[@]} -gt 0 ] || files=(t/*.t)
for f in "${files[@]}"; do
	case $f in
	*/9999-secrets-hygiene.t) hygiene=$f ;;
	*) rest+=("$f") ;;
	esac
done
rc=0
if [ ${#rest[@]} -gt 0 ]; then
	prove --timer -e bash "${opts[@]}" "${rest[@]}" || rc=$?
fi
if [ -n "$hygiene" ]; then
	prove --timer -e bash "${opts[@]}" "$hygiene" || rc=$?
fi
exit "$rc"

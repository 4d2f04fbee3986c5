# lib-slapd.sh — an OpenLDAP server with the test directory (t/data/*.ldif).
#
#   slapd_setup [--private] [--sizelimit N]
#       Use the run's shared slapd (t/run.sh exports KA_SHARED_LDAP_*), or
#       with --private (or when there is none) start one in $T/ldap. The
#       shared directory is read-only for tests: a test that adds entries,
#       stops slapd or needs another size limit asks for a private one.
#       Exports LDAP_URL (ldap://, StartTLS works on it), LDAPS_URL,
#       LDAP_PORT, LDAPS_PORT, LDAP_BASE_DN, LDAP_BIND_DN and
#       LDAP_BIND_PASSWORD_FILE (the service account), LDAP_ROOT_DN and
#       LDAP_ROOT_PASSWORD_FILE, LDAP_CA_FILE (the test CA).
#   slapd_stop_private / slapd_start_private
#       stop (SIGTERM) and start again the private slapd, same ports, same
#       data.
#   ldap_search [LDAPSEARCH-ARGS...]   as the service account, over LDAP_URL
#   ldap_root ldapadd|ldapmodify|ldapdelete [ARGS...]   as the rootdn
#       (private slapd only)
#
# The directory: dc=example,dc=org with ou=people (alice, bob, carol:
# inetOrgPerson + posixAccount, uidNumber 500..502, passwords
# <name>-secret), ou=groups (admins: groupOfNames; developers: posixGroup),
# ou=teams (operators: reachable only through memberOf), ou=services
# (cn=kubernetes-auth: the service account, which is not the rootdn, so the
# size limit of 500 applies to it, and which cannot read userPassword).
#
# Server-level functions, also used by t/run.sh and contrib/quickstart.sh:
#   slapd_server_start DIR LDAP-PORT LDAPS-PORT [SIZELIMIT]
#       (re)start slapd on DIR; loads the directory the first time; sets
#       SLAPD_PID. Needs pki_setup.
#   slapd_server_stop DIR [SIG]

[ -n "${_KA_LIB_SLAPD:-}" ] && return 0
_KA_LIB_SLAPD=1
. "${BASH_SOURCE[0]%/*}/lib-daemon.sh"
. "${BASH_SOURCE[0]%/*}/lib-pki.sh"

LDAP_BASE_DN=dc=example,dc=org
LDAP_BIND_DN=cn=kubernetes-auth,ou=services,$LDAP_BASE_DN
LDAP_ROOT_DN=cn=admin,$LDAP_BASE_DN

_slapd_have() {
	command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] || return 1
	command -v ldapsearch >/dev/null
}
PATH=$PATH:/usr/sbin

_slapd_conf() {   # _slapd_conf DIR SIZELIMIT
	local d=$1 base=$LDAP_BASE_DN
	cat >"$d/slapd.conf" <<-EOF
	include /etc/ldap/schema/core.schema
	include /etc/ldap/schema/cosine.schema
	include /etc/ldap/schema/inetorgperson.schema
	include /etc/ldap/schema/nis.schema
	modulepath /usr/lib/ldap
	moduleload back_mdb
	moduleload memberof
	pidfile $d/slapd.pid
	argsfile $d/slapd.args
	# slapd's default, spelled out: the service account is bound by it.
	sizelimit $2
	TLSCertificateFile $PKI_DIR/server.pem
	TLSCertificateKeyFile $PKI_DIR/server.key
	TLSCACertificateFile $PKI_DIR/ca.pem
	TLSVerifyClient never
	access to dn.base="" by * read
	access to dn.base="cn=Subschema" by * read

	database mdb
	maxsize 104857600
	suffix "$base"
	rootdn "$LDAP_ROOT_DN"
	rootpw $(slappasswd -T "$d/root.pass")
	directory $d/db
	index objectClass,uid,mail,cn,memberUid,member eq

	overlay memberof
	memberof-group-oc groupOfNames
	memberof-member-ad member
	memberof-memberof-ad memberOf
	memberof-refint TRUE

	access to attrs=userPassword
	  by self write
	  by anonymous auth
	  by * none
	# operators-style groups: members visible only as the users' memberOf.
	access to dn.subtree="ou=teams,$base" attrs=member
	  by * none
	access to *
	  by dn.exact="$LDAP_BIND_DN" read
	  by self read
	  by * none
	EOF
}

_slapd_ldap() {   # _slapd_ldap DIR TOOL ARGS...  (as the rootdn, over ldap://)
	local d=$1 tool=$2
	shift 2
	LDAPTLS_CACERT=$PKI_DIR/ca.pem "$tool" -x -H "ldap://127.0.0.1:$(cat "$d/ldap.port")" \
		-D "$LDAP_ROOT_DN" -y "$d/root.pass" "$@"
}

slapd_server_start() {   # slapd_server_start DIR LDAP-PORT LDAPS-PORT [SIZELIMIT]
	local d=$1 port=$2 sport=$3 limit=${4:-500} fresh=0
	: "${PKI_DIR:?slapd_server_start needs pki_setup}"
	mkdir -p "$d/db"
	chmod 0700 "$d"
	echo "$port" >"$d/ldap.port"
	echo "$sport" >"$d/ldaps.port"
	if [ ! -e "$d/loaded" ]; then
		fresh=1
		rm -rf "$d/db" && mkdir -p "$d/db"
		secret_file "$d/root.pass" "$(random_hex 16)"
		secret_file "$d/bind.pass" "$(random_hex 16)"
		_slapd_conf "$d" "$limit"
		sed "s|@SERVICE_PASSWORD_HASH@|$(slappasswd -T "$d/bind.pass")|" \
			"$KA_SRCDIR/t/data/directory.ldif" >"$d/directory.ldif"
		slapadd -q -f "$d/slapd.conf" -l "$d/directory.ldif" >"$d/slapadd.log" 2>&1 || {
			cat "$d/slapadd.log" >&2
			return 1
		}
	fi
	rm -f "$d/slapd.pid"
	spawn_daemon slapd "$d/slapd.log" slapd -d "${KA_SLAPD_DEBUG:-0}" -f "$d/slapd.conf" \
		-h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$sport/"
	SLAPD_PID=$SPAWNED_PID
	echo "$SLAPD_PID" >"$d/pid"
	if ! waitfor "$SLAPD_PID" 100 ldapsearch -x -H "ldap://127.0.0.1:$port" -b '' -s base; then
		echo "slapd did not start; its log:" >&2
		tail -n 20 "$d/slapd.log" >&2
		stop_daemon "$SLAPD_PID" KILL 0
		return 1
	fi
	[ "$fresh" = 1 ] || return 0
	_slapd_ldap "$d" ldapadd -f "$KA_SRCDIR/t/data/groups.ldif" >"$d/groups.log" 2>&1 || {
		cat "$d/groups.log" >&2
		return 1
	}
	if ! _slapd_ldap "$d" ldapsearch -LLL -b "uid=alice,ou=people,$LDAP_BASE_DN" -s base memberOf |
		grep -q "^memberOf: cn=admins,ou=groups,$LDAP_BASE_DN"; then
		echo "slapd: the memberof overlay did not set alice's memberOf" >&2
		return 1
	fi
	touch "$d/loaded"
}

slapd_server_stop() {   # slapd_server_stop DIR [SIG]
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	stop_daemon "$pid" "${2:-TERM}" 100
	rm -f "$1/pid"
}

# Start a server, picking new ports when the chosen ones were taken meanwhile.
_slapd_start_new() {   # _slapd_start_new DIR [SIZELIMIT]
	local _ port sport
	for _ in 1 2 3; do
		port=$(free_port) && sport=$(free_port) || return 1
		slapd_server_start "$1" "$port" "$sport" "${2:-}" && return 0
		grep -q 'Address already in use' "$1/slapd.log" 2>/dev/null || return 1
	done
	return 1
}

_slapd_export() {   # _slapd_export PORT LDAPS-PORT BIND-PASSWORD-FILE ROOT-PASSWORD-FILE
	LDAP_PORT=$1
	LDAPS_PORT=$2
	LDAP_URL=ldap://127.0.0.1:$1
	# 127.0.0.1, not localhost: libldap checks the certificate against the
	# canonical host name, which for localhost may be the machine's name.
	LDAPS_URL=ldaps://127.0.0.1:$2
	LDAP_BIND_PASSWORD_FILE=$3
	LDAP_ROOT_PASSWORD_FILE=$4
	LDAP_CA_FILE=$PKI_DIR/ca.pem
	export LDAP_PORT LDAPS_PORT LDAP_URL LDAPS_URL LDAP_BASE_DN LDAP_BIND_DN \
		LDAP_BIND_PASSWORD_FILE LDAP_ROOT_DN LDAP_ROOT_PASSWORD_FILE LDAP_CA_FILE
}

slapd_setup() {   # slapd_setup [--private] [--sizelimit N]
	local private=0 limit=
	while [ $# -gt 0 ]; do
		case $1 in
		--private) private=1 ;;
		--sizelimit) limit=$2; private=1; shift ;;
		*) bail "slapd_setup: unknown option $1" ;;
		esac
		shift
	done
	_slapd_have || skip_all "slapd or ldap-utils not installed"
	pki_setup || bail "pki_setup failed"
	if [ "$private" = 0 ] && [ -n "${KA_SHARED_LDAP_PORT:-}" ]; then
		SLAPD_PRIVATE_DIR=
		_slapd_export "$KA_SHARED_LDAP_PORT" "$KA_SHARED_LDAPS_PORT" \
			"$KA_SHARED_LDAP_BIND_PASSWORD_FILE" "$KA_SHARED_LDAP_ROOT_PASSWORD_FILE"
		return 0
	fi
	SLAPD_PRIVATE_DIR=$T/ldap
	_slapd_start_new "$SLAPD_PRIVATE_DIR" "$limit" || bail "could not start slapd"
	_slapd_export "$(cat "$T/ldap/ldap.port")" "$(cat "$T/ldap/ldaps.port")" \
		"$T/ldap/bind.pass" "$T/ldap/root.pass"
}

slapd_stop_private() {
	: "${SLAPD_PRIVATE_DIR:?slapd_stop_private: no private slapd (slapd_setup --private)}"
	slapd_server_stop "$SLAPD_PRIVATE_DIR" TERM
}

slapd_start_private() {
	: "${SLAPD_PRIVATE_DIR:?slapd_start_private: no private slapd (slapd_setup --private)}"
	slapd_server_start "$SLAPD_PRIVATE_DIR" "$LDAP_PORT" "$LDAPS_PORT"
}

ldap_search() {   # ldap_search [LDAPSEARCH-ARGS...]
	LDAPTLS_CACERT=$LDAP_CA_FILE ldapsearch -x -LLL -o ldif-wrap=no -H "$LDAP_URL" \
		-D "$LDAP_BIND_DN" -y "$LDAP_BIND_PASSWORD_FILE" -b "$LDAP_BASE_DN" "$@"
}

ldap_root() {   # ldap_root TOOL [ARGS...]
	local tool=$1
	shift
	[ -n "${SLAPD_PRIVATE_DIR:-}" ] || bail "ldap_root: the shared directory is read-only (slapd_setup --private)"
	LDAPTLS_CACERT=$LDAP_CA_FILE "$tool" -x -H "$LDAP_URL" -D "$LDAP_ROOT_DN" \
		-y "$LDAP_ROOT_PASSWORD_FILE" "$@"
}

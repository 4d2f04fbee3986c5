# lib-stack.sh — what most tests start with, in one call: MariaDB, slapd,
# the service's config, nginx and the service. Sources lib-mariadb.sh,
# lib-slapd.sh and lib-nginx.sh (and so lib-daemon.sh, lib-pki.sh).
#
#   stack_up [--private-db] [--private-ldap] [CONFIG-OVERLAY-FILE | -]
#       skip the test without jq (answers are read with it); mariadb_setup
#       and slapd_setup (--private when asked); ka_config with the overlay;
#       nginx_setup; ka_start, bailing out when the service does not start.
#
# A test that needs a step in between (entries added to the directory, a
# listener for LDAP to hang on, a look before the first start) calls those
# functions itself.

[ -n "${_KA_LIB_STACK:-}" ] && return 0
_KA_LIB_STACK=1
. "${BASH_SOURCE[0]%/*}/lib-mariadb.sh"
. "${BASH_SOURCE[0]%/*}/lib-slapd.sh"
. "${BASH_SOURCE[0]%/*}/lib-nginx.sh"

stack_up() {   # stack_up [--private-db] [--private-ldap] [CONFIG-OVERLAY-FILE | -]
	local db=() ldap=()
	while [ $# -gt 0 ]; do
		case $1 in
		--private-db) db=(--private) ;;
		--private-ldap) ldap=(--private) ;;
		*) break ;;
		esac
		shift
	done
	command -v jq >/dev/null || skip_all "jq not installed"
	mariadb_setup "${db[@]}"
	slapd_setup "${ldap[@]}"
	ka_config "$@" || bail "ka_config failed"
	nginx_setup
	ka_start || bail "kubernetes-auth did not start"
}

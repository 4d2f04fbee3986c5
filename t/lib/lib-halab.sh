# lib-halab.sh — the high-availability lab (doc/high-availability.md): on one
# machine, hosts in network namespaces (lib-netns.sh) with a three-node
# MariaDB Galera cluster (lib-galera.sh), an LDAP provider and a syncrepl
# consumer, two service hosts (nginx + kubernetes-auth) and an HAProxy front
# door. Used by contrib/ha-lab.sh and by t/6*.t.
#
#   halab_up DIR [PREFIX]   build and start it all; the data lives in DIR;
#                      writes DIR/env (K8S_AUTH_URL = the front door,
#                      K8S_AUTH_ADMIN_TOKEN, K8S_AUTH_CACERT) and DIR/lab
#   halab_load DIR     set the HALAB_* variables of a lab made by halab_up
#                      (from another shell: status, down)
#   halab_down DIR     tear down everything, even a half-built lab
#   halab_status       every host and its state; non-zero if any is not well
#   halab_demo         the README walk-through (lib-walkthrough.sh) through
#                      the front door
#
# Addresses in NETNS_NET (10.77.X): the clients' side NET.0/25 (the root
# namespace is NET.1), the Galera nodes' replication side NET.128/25.
#
#   host  namespace      address             runs
#   fd    PREFIX-fd      NET.5               HAProxy, https :443 (the front door)
#   sa/sb PREFIX-sa/sb   NET.21, NET.22      nginx :443 + kubernetes-auth
#   n1-3  PREFIX-n1..n3  NET.11-13, .141-143 mariadbd (Galera)
#   lp/lc PREFIX-lp/lc   NET.31, NET.32      slapd provider / consumer :389
#
# Functions the tests use on a running lab:
#   halab_url fd|a|b   https://ADDRESS of the front door or a service host
#   halab_service_start a|b      start kubernetes-auth on host a or b
#   halab_service_stop a|b [SIG] stop it (TERM: graceful) -> its exit status
#                      (1 if a sanitizer reported anything in its log)
#   halab_service_pid a|b        the master's pid
#   halab_slapd_start provider|consumer;  halab_slapd_stop provider|consumer
#   halab_ldap provider|consumer TOOL [ARGS...]   ldapsearch/ldapmodify...
#                      as the rootdn of that server
#   halab_backends     the front door's view: "a UP" / "b DOWN", one a line
#   halab_db_yaml a|b  the database: section of that host's configuration
#   HALAB_DB_HOSTS     1 when the service accepts database.hosts (then each
#                      host gets all three nodes), else 0 (one node each:
#                      host a node 1, host b node 2)

[ -n "${_KA_LIB_HALAB:-}" ] && return 0
_KA_LIB_HALAB=1
. "${BASH_SOURCE[0]%/*}/lib-galera.sh"
. "${BASH_SOURCE[0]%/*}/lib-slapd.sh"
. "${BASH_SOURCE[0]%/*}/lib-nginx.sh"
. "${BASH_SOURCE[0]%/*}/lib-walkthrough.sh"

halab_have() {   # the programs the lab runs
	_netns_have && _galera_have && _slapd_have && command -v nginx >/dev/null &&
		command -v haproxy >/dev/null && command -v socat >/dev/null &&
		command -v jq >/dev/null && command -v python3 >/dev/null
}

# Which node comes first differs between the two service hosts: each has a
# node of its own while all are well, and losing node 1 or node 2 takes
# away the first choice of exactly one host.
_halab_nodes_for() {   # _halab_nodes_for a|b -> node numbers, in order
	case $1 in
	a) echo 1 2 3 ;;
	b) echo 2 3 1 ;;
	esac
}

halab_db_yaml() {   # halab_db_yaml a|b
	local i list=() first
	for i in $(_halab_nodes_for "$1"); do
		list+=("\"$NETNS_NET.1$i:3306\"")
	done
	first=$(_halab_nodes_for "$1" | cut -d' ' -f1)
	echo "database:"
	if [ "${HALAB_DB_HOSTS:-0}" = 1 ]; then
		echo "  host: !delete"
		echo "  port: !delete"
		echo "  hosts: [$(IFS=,; echo "${list[*]}" | sed 's/,/, /g')]"
		# Back to the first node 10 s after failing over (default 60 s),
		# so that the tests see it come back.
		echo "  failback: 10s"
	else
		echo "  host: $NETNS_NET.1$first"
		echo "  port: 3306"
	fi
	# Galera refuses to serialise migrations (GET_LOCK is node-local):
	# they run once, by hand, from one host.
	echo "  migrate_on_start: false"
	echo "  connect_timeout: 1s"
	# Above the ~6 s that writes stall while the cluster evicts a dead
	# node, below request_timeout.
	echo "  read_timeout: 8s"
}

halab_url() {   # halab_url fd|a|b
	case $1 in
	fd) echo "https://$NETNS_NET.5" ;;
	a) echo "https://$NETNS_NET.21" ;;
	b) echo "https://$NETNS_NET.22" ;;
	esac
}

# --- the network ----------------------------------------------------------------

_halab_network() {
	local i h
	netns_lab_new "${1:-}" || return 1
	netns_bridge g || return 1
	for i in 1 2 3; do
		netns_host "n$i" && netns_attach "n$i" c eth0 "$NETNS_NET.1$i/25" &&
			netns_attach "n$i" g eth1 "$NETNS_NET.14$i/25" || return 1
	done
	for h in fd:5 sa:21 sb:22 lp:31 lc:32; do
		netns_host "${h%:*}" && netns_attach "${h%:*}" c eth0 "$NETNS_NET.${h#*:}/25" || return 1
	done
}

# One certificate for every TLS server of the lab, signed by the CA of
# lib-pki.sh, naming the addresses clients use.
_halab_tls() {
	local d=$HALAB_DIR/tls
	mkdir -p "$d" && chmod 0755 "$d"
	_pki_leaf "$d" lab "/CN=kubernetes-auth HA lab" "$PKI_DIR/ca" \
		"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:$NETNS_NET.5,IP:$NETNS_NET.21,IP:$NETNS_NET.22,IP:$NETNS_NET.31,IP:$NETNS_NET.32" ||
		return 1
	chmod 0644 "$d/lab.pem"
	(umask 077 && cat "$d/lab.pem" "$d/lab.key" >"$d/frontdoor.pem")
}

# --- LDAP: a provider and a consumer -------------------------------------------

_halab_ldap_dir() { echo "$HALAB_DIR/ldap/$1"; }
_halab_ldap_addr() { case $1 in provider) echo "$NETNS_NET.31" ;; consumer) echo "$NETNS_NET.32" ;; esac; }
_halab_ldap_host() { case $1 in provider) echo lp ;; consumer) echo lc ;; esac; }

halab_ldap() {   # halab_ldap provider|consumer TOOL [ARGS...]
	local role=$1 tool=$2
	shift 2
	"$tool" -x -H "ldap://$(_halab_ldap_addr "$role")" -D "$LDAP_ROOT_DN" \
		-y "$(_halab_ldap_dir "$role")/root.pass" "$@"
}

# The test directory's slapd.conf (lib-slapd.sh), plus replication: the
# provider keeps a sync log (syncprov); the consumer follows it in
# refreshAndPersist mode, retrying every second for ever, so it catches up
# by itself when the provider comes back. Each server runs the memberof
# overlay: the provider does not replicate the memberOf values it computes.
_halab_ldap_conf() {   # _halab_ldap_conf provider|consumer
	local d
	d=$(_halab_ldap_dir "$1")
	_slapd_conf "$d" 500
	sed -i 's/^moduleload memberof$/&\nmoduleload syncprov/' "$d/slapd.conf"
	echo "index entryCSN,entryUUID eq" >>"$d/slapd.conf"
	if [ "$1" = provider ]; then
		cat >>"$d/slapd.conf" <<-EOF
		overlay syncprov
		syncprov-checkpoint 100 1
		syncprov-sessionlog 1000
		EOF
	else
		# The provider's rootdn reads everything, with no size limit; a
		# real deployment would use an account made for replication.
		cat >>"$d/slapd.conf" <<-EOF
		syncrepl rid=001 provider=ldap://$NETNS_NET.31:389 type=refreshAndPersist
		  retry="1 +" searchbase="$LDAP_BASE_DN" scope=sub
		  attrs="*,+" exattrs="memberOf" schemachecking=off
		  bindmethod=simple binddn="$LDAP_ROOT_DN"
		  credentials="$(cat "$(_halab_ldap_dir provider)/root.pass")"
		EOF
	fi
	chmod 0600 "$d/slapd.conf"
}

halab_slapd_start() {   # halab_slapd_start provider|consumer
	local role=$1 d addr pid
	d=$(_halab_ldap_dir "$role")
	addr=$(_halab_ldap_addr "$role")
	if [ ! -e "$d/loaded" ]; then
		rm -rf "$d" && mkdir -p "$d/db" && chmod 0700 "$d"
		secret_file "$d/root.pass" "$(random_hex 16)"
		_halab_ldap_conf "$role"
		if [ "$role" = provider ]; then
			secret_file "$d/bind.pass" "$(random_hex 16)"
			sed "s|@SERVICE_PASSWORD_HASH@|$(slappasswd -T "$d/bind.pass")|" \
				"$KA_SRCDIR/t/data/directory.ldif" >"$d/directory.ldif"
			slapadd -q -f "$d/slapd.conf" -l "$d/directory.ldif" >"$d/slapadd.log" 2>&1 ||
				{ cat "$d/slapadd.log" >&2; return 1; }
		fi
	fi
	netns_spawn "$(_halab_ldap_host "$role")" slapd "$d/slapd.log" \
		slapd -d 0 -f "$d/slapd.conf" -h "ldap://$addr:389/"
	pid=$SPAWNED_PID
	echo "$pid" >"$d/pid"
	if ! waitfor "$pid" 100 ldapsearch -x -H "ldap://$addr" -b '' -s base; then
		echo "slapd ($role) did not start; its log:" >&2
		tail -n 20 "$d/slapd.log" >&2
		return 1
	fi
	[ -e "$d/loaded" ] && return 0
	if [ "$role" = provider ]; then
		# Online, so that the memberof overlay fills in memberOf.
		halab_ldap provider ldapadd -f "$KA_SRCDIR/t/data/groups.ldif" >"$d/groups.log" 2>&1 ||
			{ cat "$d/groups.log" >&2; return 1; }
	fi
	# Loaded when alice's memberOf is there: on the consumer, once
	# replication has brought the users and then the groups.
	if ! waitfor "$pid" 300 _halab_ldap_has_memberof "$role"; then
		echo "slapd ($role): no memberOf on alice; its log:" >&2
		tail -n 20 "$d/slapd.log" >&2
		return 1
	fi
	touch "$d/loaded"
}

_halab_ldap_has_memberof() {   # _halab_ldap_has_memberof provider|consumer
	halab_ldap "$1" ldapsearch -LLL -b "uid=alice,ou=people,$LDAP_BASE_DN" -s base memberOf |
		grep -q "^memberOf: cn=admins,ou=groups,$LDAP_BASE_DN"
}

halab_slapd_stop() {   # halab_slapd_stop provider|consumer
	local pid
	pid=$(cat "$(_halab_ldap_dir "$1")/pid" 2>/dev/null) || return 0
	stop_daemon "$pid" TERM 100
}

# --- the service hosts --------------------------------------------------------

_halab_sock() { echo "$HALAB_DIR/run/s$1/ka.sock"; }

# Does this build take database.hosts? Asked once, on a scratch copy of
# host a's configuration.
_halab_detect_db_hosts() {
	local d=$HALAB_DIR/sa
	HALAB_DB_HOSTS=1
	_halab_service_config a "$d/probe.yaml" || return 1
	"$KA_BIN" check-config -config-file "$d/probe.yaml" >"$d/probe.log" 2>&1 || HALAB_DB_HOSTS=0
	rm -f "$d/probe.yaml"
}

# Host h's configuration, from lib-daemon.sh's ka_config with the lab's
# overlay. Both hosts hold the same key file, admin token and passwords,
# each its own copy (as separate machines would).
_halab_service_config() {   # _halab_service_config a|b [FILE]
	local h=$1 d=$HALAB_DIR/s$1
	# shellcheck disable=SC2034  # read by ka_config
	(
		KA_CONFIG=${2:-$d/config.yaml}
		KA_SOCK=$(_halab_sock "$h")
		KA_KEY_FILE=$d/token.key
		KA_NGINX_PORT=443
		KA_PUBLIC_URL=$(halab_url fd)
		KA_MIGRATIONS_DIR=$HALAB_DIR/sql
		DB_HOST=$NETNS_NET.11 DB_PORT=3306 DB_NAME=kubernetes_auth DB_USER=kubernetes-auth
		DB_PASSWORD_FILE=$d/db.pass
		LDAP_URL=ldap://$NETNS_NET.31 LDAP_BIND_PASSWORD_FILE=$d/ldap.pass
		# Host a asks the provider first, host b the consumer first:
		# both serve while either runs, and answers through b show
		# what the consumer has replicated.
		urls='"ldap://'$NETNS_NET.31'", "ldap://'$NETNS_NET.32'"'
		[ "$h" = b ] && urls='"ldap://'$NETNS_NET.32'", "ldap://'$NETNS_NET.31'"'
		ka_config - <<-EOF
		workers: 3
		admin_token_file: $d/admin-token
		$(halab_db_yaml "$h")
		ldap:
		  urls: [$urls]
		  # Users stored by mail, as the walk-through registers them.
		  id_attribute: mail
		authorization:
		  refresh: 1s
		logging:
		  level: 4
		EOF
	)
}

_halab_service_files() {   # _halab_service_files a|b
	local d=$HALAB_DIR/s$1 s=$HALAB_DIR/secrets f
	mkdir -p "$d" && chmod 0755 "$d"
	for f in token.key admin-token db.pass; do
		install -m 0600 "$s/$f" "$d/$f" || return 1
	done
	install -m 0600 "$(_halab_ldap_dir provider)/bind.pass" "$d/ldap.pass"
}

halab_service_pid() {   # halab_service_pid a|b
	local pid
	pid=$(cat "$HALAB_DIR/s$1/ka.pid" 2>/dev/null) && alive "$pid" && echo "$pid"
}

halab_service_start() {   # halab_service_start a|b
	local h=$1 d=$HALAB_DIR/s$1 sock pid
	sock=$(_halab_sock "$h")
	rm -f "$sock"
	netns_spawn "s$h" kubernetes-auth "$d/ka.log" "$KA_BIN" -config-file "$d/config.yaml"
	pid=$SPAWNED_PID
	echo "$pid" >"$d/ka.pid"
	if ! waitfor "$pid" 300 _halab_service_ready "$pid" "$sock"; then
		echo "kubernetes-auth on host $h is not ready; its log:" >&2
		tail -n 20 "$d/ka.log" >&2
		return 1
	fi
}

_halab_service_ready() { [ -S "$2" ] && pgrep -P "$1" >/dev/null; }

# Like ka_stop (lib-daemon.sh): a sanitizer's report in the log is a failure.
halab_service_stop() {   # halab_service_stop a|b [SIG]
	local pid rc=0 log=$HALAB_DIR/s$1/ka.log
	pid=$(halab_service_pid "$1") || return 0
	stop_daemon "$pid" "${2:-TERM}" 150 || rc=$?
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		echo "sanitizer report in $log" >&2
		[ "$rc" = 0 ] && rc=1
	fi
	return "$rc"
}

# nginx on a service host: the test suite's (lib-nginx.sh: the packaged site
# with its paths adapted) on the host's own address, with the lab's
# certificate. The lab's addresses are trusted (no rate limit): the front
# door is the only client the hosts see, and the tests' load comes through it.
_halab_nginx_start() {   # _halab_nginx_start a|b
	local h=$1 d=$HALAB_DIR/s$1/nginx addr pid
	addr=${NETNS_NET}.2$([ "$h" = a ] && echo 1 || echo 2)
	mkdir -p "$d" && chmod 0755 "$d"
	nginx_server_files "$d" 443 "$(_halab_sock "$h")" || return 1
	chmod 0755 "$d/tmp"
	sed -i -e "s|listen 127.0.0.1:443 |listen $addr:443 |" \
		-e "s|^\( *\)127.0.0.1 0;|&\n\1$NETNS_NET.0/24 0;|" \
		-e "s|$PKI_DIR/server.pem|$HALAB_DIR/tls/lab.pem|" \
		-e "s|$PKI_DIR/server.key|$HALAB_DIR/tls/lab.key|" "$d/kubernetes-auth.conf"
	netns_exec "s$h" nginx -q -t -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" || return 1
	netns_spawn "s$h" nginx "$d/logs/stdout.log" nginx -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf"
	pid=$SPAWNED_PID
	echo "$pid" >"$d/pid"
	if ! waitfor "$pid" 100 _halab_answers "https://$addr/.harness-probe" 404; then
		echo "nginx on host $h did not answer; its log:" >&2
		tail -n 20 "$d/logs/error.log" >&2
		return 1
	fi
}

_halab_answers() {   # _halab_answers URL STATUS
	[ "$(curl -s -o /dev/null --max-time 5 --cacert "$PKI_DIR/ca.pem" -w '%{http_code}' "$1")" = "$2" ]
}

# --- the front door -------------------------------------------------------------

# HAProxy: TLS with the lab's certificate, round robin over the two hosts'
# nginx (TLS verified with the lab's CA), a host in service while /healthz
# answers 200 (checked every second; out after 2 failures, back after 2
# successes). A request is tried again on the other host when the
# connection fails, or when the host answers 503 without having run it (its
# nginx cannot reach the service, or the service cannot reach a database
# node): kubernetes-auth answers 503 only for requests that changed nothing.
_halab_frontdoor_start() {
	local d=$HALAB_DIR/fd pid
	mkdir -p "$d" && chmod 0700 "$d"
	cat >"$d/haproxy.cfg" <<-EOF
	global
	    maxconn 2000
	    log stdout format raw local0 info
	    stats socket $d/admin.sock mode 600 level admin
	    ssl-server-verify required

	defaults
	    mode http
	    log global
	    option httplog
	    option dontlog-normal
	    option forwardfor
	    option http-buffer-request
	    timeout connect 1s
	    timeout client 30s
	    timeout server 15s
	    timeout check 3s
	    retries 3
	    option redispatch 1
	    retry-on conn-failure empty-response junk-response 503

	frontend kubernetes-auth
	    bind $NETNS_NET.5:443 ssl crt $HALAB_DIR/tls/frontdoor.pem alpn http/1.1
	    http-response set-header X-Served-By %s
	    default_backend service-hosts

	backend service-hosts
	    balance roundrobin
	    option httpchk GET /healthz
	    http-check expect status 200
	    default-server check inter 1s fall 2 rise 2 ssl ca-file $PKI_DIR/ca.pem
	    server a $NETNS_NET.21:443
	    server b $NETNS_NET.22:443
	EOF
	netns_exec fd haproxy -c -q -f "$d/haproxy.cfg" || return 1
	netns_spawn fd haproxy "$d/haproxy.log" haproxy -db -f "$d/haproxy.cfg"
	pid=$SPAWNED_PID
	echo "$pid" >"$d/pid"
	if ! waitfor "$pid" 300 _halab_backends_up 2; then
		echo "the front door does not see both hosts: $(halab_backends | xargs)" >&2
		tail -n 20 "$d/haproxy.log" >&2
		return 1
	fi
}

halab_backends() {   # -> "a UP", "b DOWN" ... one a line
	echo "show stat" | socat -t 2 stdio "unix-connect:$HALAB_DIR/fd/admin.sock" 2>/dev/null |
		awk -F, '$1 == "service-hosts" && $2 != "BACKEND" { print $2, $18 }'
}

_halab_backends_up() {   # _halab_backends_up N: N hosts in service
	[ "$(halab_backends | grep -c ' UP$')" -ge "$1" ]
}

# --- the whole lab ----------------------------------------------------------------

halab_load() {   # halab_load DIR
	HALAB_DIR=$1
	[ -r "$HALAB_DIR/lab" ] || return 1
	# shellcheck source=/dev/null
	. "$HALAB_DIR/lab"
	export HALAB_DIR NETNS_PREFIX NETNS_NET PKI_DIR HALAB_DB_HOSTS
}

_halab_save() {
	cat >"$HALAB_DIR/lab" <<-EOF
	NETNS_PREFIX=$NETNS_PREFIX
	NETNS_NET=$NETNS_NET
	PKI_DIR=$PKI_DIR
	HALAB_DB_HOSTS=${HALAB_DB_HOSTS:-0}
	EOF
}

_halab_galera_init() {
	galera_init "$HALAB_DIR/galera" "ka-$NETNS_PREFIX" \
		"$NETNS_NET.11 $NETNS_NET.12 $NETNS_NET.13" "$NETNS_NET.141 $NETNS_NET.142 $NETNS_NET.143"
}

# The database, and an account for the service hosts' addresses: made on
# node 1, replicated to the others.
_halab_database() {
	local pw
	pw=$(cat "$HALAB_DIR/secrets/db.pass")
	galera_sql 1 "CREATE DATABASE IF NOT EXISTS kubernetes_auth CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
		CREATE USER IF NOT EXISTS 'kubernetes-auth'@'$NETNS_NET.%' IDENTIFIED BY '$pw';
		GRANT ALL ON kubernetes_auth.* TO 'kubernetes-auth'@'$NETNS_NET.%';"
}

_halab_secrets() {
	local s=$HALAB_DIR/secrets
	mkdir -p "$s" && chmod 0700 "$s"
	ka_key_file_write "$s/token.key"
	HALAB_ADMIN_TOKEN=$(random_hex 32)
	secret_file "$s/admin-token" "admin:$HALAB_ADMIN_TOKEN"
	secret_file "$s/db.pass" "$(random_hex 16)"
	# Migrations are read by the service's unprivileged account.
	rm -rf "$HALAB_DIR/sql" && cp -r "$KA_SRCDIR/sql" "$HALAB_DIR/sql" && chmod -R a+rX "$HALAB_DIR/sql"
}

_halab_step() { [ -n "${HALAB_VERBOSE:-}" ] && printf 'ha-lab: %s\n' "$*" >&2; return 0; }

halab_up() {   # halab_up DIR [PREFIX]
	local h
	HALAB_DIR=$1
	[ -x "$KA_BIN" ] || { echo "ha-lab: no $KA_BIN: build first" >&2; return 1; }
	mkdir -p "$HALAB_DIR/run" && chmod 0755 "$HALAB_DIR" "$HALAB_DIR/run"
	_halab_step "network"
	_halab_network "${2:-}" || return 1
	pki_setup "${HALAB_PKI_DIR:-}" || return 1
	_halab_tls || return 1
	_halab_save
	_halab_secrets || return 1
	_halab_step "Galera: 3 nodes on $NETNS_NET.11-13"
	_halab_galera_init && galera_bootstrap && _halab_database || return 1
	_halab_step "LDAP: provider $NETNS_NET.31, consumer $NETNS_NET.32"
	halab_slapd_start provider && halab_slapd_start consumer || return 1
	_halab_step "service hosts: $NETNS_NET.21, $NETNS_NET.22"
	for h in a b; do
		_halab_service_files "$h" || return 1
	done
	_halab_detect_db_hosts || return 1
	_halab_save
	for h in a b; do
		_halab_service_config "$h" &&
			"$KA_BIN" check-config -config-file "$HALAB_DIR/s$h/config.yaml" >/dev/null || return 1
	done
	# Once, from one host, before any host starts (migrate_on_start: false).
	netns_exec sa "$KA_BIN" migrate up -config-file "$HALAB_DIR/sa/config.yaml" \
		>"$HALAB_DIR/sa/migrate.log" 2>&1 || { cat "$HALAB_DIR/sa/migrate.log" >&2; return 1; }
	for h in a b; do
		halab_service_start "$h" && _halab_nginx_start "$h" || return 1
	done
	_halab_step "front door: $(halab_url fd)"
	_halab_frontdoor_start || return 1
	(umask 077 && cat >"$HALAB_DIR/env" <<-EOF
	# kubernetes-auth HA lab: source this file (. .ha-lab/env)
	export K8S_AUTH_URL=$(halab_url fd)
	export K8S_AUTH_ADMIN_TOKEN=$HALAB_ADMIN_TOKEN
	export K8S_AUTH_CACERT=$PKI_DIR/ca.pem
	EOF
	)
}

halab_down() {   # halab_down DIR
	halab_load "$1" || return 0
	netns_teardown "$NETNS_PREFIX"
}

# --- looking at it ----------------------------------------------------------------

_halab_pidfile_state() {   # _halab_pidfile_state FILE NAME
	local pid
	if pid=$(cat "$1" 2>/dev/null) && alive "$pid"; then
		echo "$2 (pid $pid)"
	else
		echo "$2 NOT RUNNING"
		return 1
	fi
}

halab_status() {
	local rc=0 i role h line csn hz
	printf 'lab %s: %s.0/24, data in %s\n' "$NETNS_PREFIX" "$NETNS_NET" "$HALAB_DIR"
	line=$(_halab_pidfile_state "$HALAB_DIR/fd/pid" haproxy) || rc=1
	printf '%-12s %-20s %s; %s\n' "front door" "$(halab_url fd)" "$line" \
		"$(halab_backends | sed 's/^/host /' | paste -sd, - | sed 's/,/, /g')"
	_halab_backends_up 2 || rc=1
	GALERA_DIR=$HALAB_DIR/galera
	for ((i = 1; i <= 3; i++)); do
		line=$(_halab_pidfile_state "$GALERA_DIR/n$i/pid" mariadbd) || rc=1
		printf '%-12s %-20s %s: %s\n' "galera n$i" "$NETNS_NET.1$i:3306" "$line" \
			"$(galera_state "$i" | awk '{ if (NF == 3) print "wsrep_cluster_status=" $1 ", wsrep_local_state_comment=" $2 ", wsrep_cluster_size=" $3; else print }')"
		[[ "$(galera_state "$i")" == "Primary Synced 3" ]] || rc=1
	done
	for role in provider consumer; do
		line=$(_halab_pidfile_state "$(_halab_ldap_dir "$role")/pid" slapd) || rc=1
		csn=$(halab_ldap "$role" ldapsearch -LLL -o nettimeout=3 -b "$LDAP_BASE_DN" -s base contextCSN 2>/dev/null |
			sed -n 's/^contextCSN: //p' | paste -sd' ' -)
		[ -n "$csn" ] || { csn=down; rc=1; }
		printf '%-12s %-20s %s: contextCSN %s\n' "ldap $role" "ldap://$(_halab_ldap_addr "$role")" "$line" "$csn"
	done
	for h in a b; do
		line="$(_halab_pidfile_state "$HALAB_DIR/s$h/ka.pid" kubernetes-auth), $(_halab_pidfile_state "$HALAB_DIR/s$h/nginx/pid" nginx)"
		[[ "$line" == *"NOT RUNNING"* ]] && rc=1
		hz=$(curl -sS --max-time 5 --cacert "$PKI_DIR/ca.pem" "$(halab_url "$h")/healthz" 2>&1) || rc=1
		[[ "$hz" == *'"status":"ok"'* ]] || rc=1
		printf '%-12s %-20s %s: /healthz %s\n' "service $h" "$(halab_url "$h")" "$line" "$hz"
	done
	return "$rc"
}

# The README's walk-through through the front door (lib-walkthrough.sh),
# with DIR/env's variables.
halab_demo() {
	# shellcheck source=/dev/null
	. "$HALAB_DIR/env"
	walkthrough "$K8S_AUTH_URL" "$K8S_AUTH_CACERT" "$K8S_AUTH_ADMIN_TOKEN" ha-lab
}

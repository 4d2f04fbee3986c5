#!/usr/bin/env bash
# contrib/quickstart.sh — run kubernetes-auth on this machine, with MariaDB,
# a demo LDAP directory (slapd) and nginx, to try the API by hand.
# Debian 12, as root.
#
# usage: contrib/quickstart.sh [start|stop|status|clean]
#   start   (default) install missing packages, build, start everything, and
#           write .quickstart/env. When it already runs, it is restarted:
#           data (database, tokens, admin token, certificates) is kept.
#   stop    stop everything it started
#   status  show what runs
#   clean   stop, then remove .quickstart/ (all data)
#
# Everything lives in .quickstart/ at the top of the source tree: data, logs,
# pid files, the configuration (.quickstart/config.yaml) and the test CA.
# nginx listens on https://127.0.0.1:8443 with a certificate from that CA
# (the users' page: https://127.0.0.1:8443/ui/);
# MariaDB and slapd listen on free loopback ports. The demo directory is the
# test suite's: users alice, bob and carol (mail <name>@example.org,
# password <name>-secret), groups admins, developers and operators. A
# stand-in for a Kubernetes API server (t/lib/apiserver-standin.py) listens
# on https://127.0.0.1:6443 as the cluster "demo": it authenticates every
# request through the service's TokenReview webhook.
#
# Then:   . .quickstart/env
#         curl --cacert "$K8S_AUTH_CACERT" "$K8S_AUTH_URL/healthz"
#         kubectl auth-login setup --url "$K8S_AUTH_URL" --cluster demo \
#             --certificate-authority "$K8S_AUTH_CACERT"
#         kubectl get --raw /version
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
Q=$SRC/.quickstart
NGINX_PORT=8443
STANDIN_PORT=6443

cmd=${1:-start}
case $cmd in
start|stop|status|clean) ;;
-h|--help|help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: $0 [start|stop|status|clean]" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "quickstart: run as root (it starts nginx and MariaDB, and the service drops to nobody)" >&2
	exit 1
fi

say() { printf 'quickstart: %s\n' "$*"; }

# --- what runs ---------------------------------------------------------------

# The pid in FILE, when that process still runs COMMAND (a pid file can
# outlive a reboot, and its number be reused).
qs_pid() {   # qs_pid FILE COMMAND
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
	echo "$pid"
}

qs_components() {   # name pidfile command, in start order
	cat <<-EOF
	mariadb $Q/my/pid mariadbd
	slapd $Q/ldap/pid slapd
	kubernetes-auth $Q/kubernetes-auth.pid kubernetes-auth
	nginx $Q/nginx/pid nginx
	standin $Q/standin.pid apiserver-standin
	EOF
}

qs_running() {
	local name file command
	while read -r name file command; do
		qs_pid "$file" "$command" >/dev/null && return 0
	done < <(qs_components)
	return 1
}

qs_stop() {
	local name file command pid
	while read -r name file command; do
		if pid=$(qs_pid "$file" "$command"); then
			# nginx stops gracefully on QUIT, the others on TERM; their
			# workers share the process group and go with them.
			local sig=TERM
			[ "$name" = nginx ] && sig=QUIT
			stop_daemon "$pid" "$sig" 300 || true
			say "stopped $name (pid $pid)"
		fi
		rm -f "$file"
	done < <(qs_components | tac)
}

qs_status() {
	local name file command pid rc=1
	while read -r name file command; do
		if pid=$(qs_pid "$file" "$command"); then
			say "$name: running (pid $pid)"
			rc=0
		else
			say "$name: stopped"
		fi
	done < <(qs_components)
	return "$rc"
}

# The harness's helpers, in a directory that outlives this script, starting
# daemons that outlive it too.
mkdir -p "$Q"
T=$Q
KA_PERSIST=1
KA_PORT_REGISTRY=$Q/.ports
: >"$KA_PORT_REGISTRY"
. "$SRC/t/lib/tap.sh"
. "$SRC/t/lib/lib-mariadb.sh"
. "$SRC/t/lib/lib-slapd.sh"
. "$SRC/t/lib/lib-nginx.sh"
. "$SRC/t/lib/lib-walkthrough.sh"
. "$SRC/t/lib/lib-kubectl.sh"

# Sockets and migrations must be reachable by nobody (nginx's workers, the
# service after it drops privileges) and socket paths short: when the source
# tree is not (e.g. below /root), they live in /tmp.
qs_rundir() {
	if setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$Q" 2>/dev/null &&
		[ ${#Q} -lt 80 ]; then
		echo "$Q/run"
	else
		echo "/tmp/kubernetes-auth-quickstart.$(printf '%s' "$Q" | md5sum | cut -c1-8)"
	fi
}

case $cmd in
stop)
	qs_stop
	exit 0
	;;
status)
	qs_status
	exit
	;;
clean)
	qs_stop
	rm -rf "$(qs_rundir)" "$Q"
	say "removed .quickstart/"
	exit 0
	;;
esac

# --- start -------------------------------------------------------------------

started=$EPOCHREALTIME
"$SRC/contrib/test.sh" --deps-only

if [ ! -f Makefile ]; then
	[ -x configure ] || ./autogen.sh
	./configure
fi
make -j"$(nproc)" >/dev/null

if qs_running; then
	say "already running: restarting (data kept)"
	qs_stop
fi

# From here on a failure stops what was started.
trap 'rc=$?; if [ "$rc" != 0 ]; then say "failed: stopping what started; logs in .quickstart/"; qs_stop; fi' EXIT

for port in "$NGINX_PORT" "$STANDIN_PORT"; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		say "port $port is taken by another program: stop it first"
		exit 1
	fi
done

run=$(qs_rundir)
mkdir -p "$run" "$Q/secrets"
chmod 0700 "$Q/secrets"
pki_setup "$Q/pki"

# MariaDB: the data survives restarts; the port may change.
mariadb_server_start "$Q/my" "$(free_port)" "$run/mysql.sock"
DB_HOST=127.0.0.1
DB_PORT=$(cat "$Q/my/port")
DB_NAME=kubernetes_auth
DB_USER=kubernetes-auth
DB_PASSWORD_FILE=$Q/secrets/db.pass
mariadb_create_db "$run/mysql.sock" "$DB_NAME" "$DB_USER" "$DB_PASSWORD_FILE"

# slapd with the demo directory.
slapd_server_start "$Q/ldap" "$(free_port)" "$(free_port)"
_slapd_export "$(cat "$Q/ldap/ldap.port")" "$(cat "$Q/ldap/ldaps.port")" \
	"$Q/ldap/bind.pass" "$Q/ldap/root.pass"

# The service.
[ -s "$Q/secrets/admin.token" ] || secret_file "$Q/secrets/admin.token" "$(random_hex 32)"
KA_ADMIN_TOKEN=$(cat "$Q/secrets/admin.token")
KA_KEY_FILE=$Q/secrets/token.key
KA_SOCK=$run/kubernetes-auth.sock
KA_NGINX_PORT=$NGINX_PORT
KA_PUBLIC_URL=https://127.0.0.1:$NGINX_PORT
KA_LOG=$Q/kubernetes-auth.log
KA_MIGRATIONS_DIR=
if ! _ka_nobody_reads "$SRC/sql"; then
	rm -rf "$run/sql" && cp -r "$SRC/sql" "$run/sql" && chmod -R a+rX "$run/sql"
	KA_MIGRATIONS_DIR=$run/sql
fi
# All three ways a directory says who is in a group: alice is in admins
# by member, in developers by memberUid, in operators by memberOf. Users
# are stored by mail, as the walk-through registers them. A new user's
# first login (with the plugin, or on the page /ui/) makes their local
# user (login.auto_create).
ka_config - <<'YAML'
ldap:
  id_attribute: mail
  group_methods: [member, memberUid, memberOf]
login:
  auto_create: true
YAML
ka_start
echo "$KA_PID" >"$Q/kubernetes-auth.pid"

nginx_server_start "$Q/nginx" "$NGINX_PORT" "$KA_SOCK"

# The plugin's files stay in .quickstart/ too: the kubeconfig its setup
# writes, and its token cache.
cat >"$Q/env" <<EOF
# kubernetes-auth quick start: source this file (. .quickstart/env)
export K8S_AUTH_URL=https://127.0.0.1:$NGINX_PORT
export K8S_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN
export K8S_AUTH_CACERT=$PKI_DIR/ca.pem
export PATH=$SRC:\$PATH
export KUBECONFIG=$Q/kubeconfig
export XDG_CACHE_HOME=$Q/cache
EOF
chmod 0600 "$Q/env"

healthz=$(curl -sS --cacert "$PKI_DIR/ca.pem" --max-time 10 "https://127.0.0.1:$NGINX_PORT/healthz") || true

# The main job, as the original service's walk-through does it: a user,
# a token, a TokenReview; then a rule and a SubjectAccessReview.
walkthrough=$(walkthrough "https://127.0.0.1:$NGINX_PORT" "$PKI_DIR/ca.pem" "$KA_ADMIN_TOKEN" quickstart) || true
tokenreview=${walkthrough%%$'\n'*}
sar=${walkthrough#*$'\n'}
# The cluster "demo": the stand-in API server, with the webhook kubeconfig
# the service writes for it.
standin_register "https://127.0.0.1:$NGINX_PORT" "$PKI_DIR/ca.pem" "$KA_ADMIN_TOKEN" demo \
	"https://127.0.0.1:$STANDIN_PORT" "$Q/webhook-demo.json" >/dev/null
standin_server_start "$Q/standin" "$STANDIN_PORT" "$Q/webhook-demo.json"
echo "$STANDIN_PID" >"$Q/standin.pid"
trap - EXIT
cat <<EOF

kubernetes-auth is running (started in $(elapsed "$started") s):
  https://127.0.0.1:$NGINX_PORT  nginx  ->  $KA_SOCK
  MariaDB 127.0.0.1:$DB_PORT (database $DB_NAME), slapd $LDAP_URL and $LDAPS_URL
  config .quickstart/config.yaml, logs .quickstart/*.log and .quickstart/nginx/logs/

  a stand-in Kubernetes API server, cluster "demo": https://127.0.0.1:$STANDIN_PORT

Try it:
  . .quickstart/env
  curl --cacert "\$K8S_AUTH_CACERT" "\$K8S_AUTH_URL/healthz"
  curl --cacert "\$K8S_AUTH_CACERT" -H "x-auth-token: \$K8S_AUTH_ADMIN_TOKEN" "\$K8S_AUTH_URL/users"
Demo users: alice@example.org / alice-secret, bob@..., carol@...

As a user, with kubectl and the credential plugin (bob / bob-secret):
  . .quickstart/env
  kubectl auth-login setup --url "\$K8S_AUTH_URL" --cluster demo --certificate-authority "\$K8S_AUTH_CACERT"
  kubectl get --raw /version

The self-service page (sign in as alice / alice-secret; trust the CA
\$K8S_AUTH_CACERT in your browser, or accept its warning):
  https://127.0.0.1:$NGINX_PORT/ui/

GET /healthz answers: $healthz

The walk-through (user alice@example.org, a token, a TokenReview):
$tokenreview
A SubjectAccessReview (alice deletes pods; rule quickstart-admins):
$sar

Stop with: contrib/quickstart.sh stop
EOF

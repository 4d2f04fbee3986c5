# lib-kubectl.sh — real kubectl, the credential plugin and a stand-in API
# server, for the tests and the quick start.
#
# Source after lib-nginx.sh (it uses admin_curl and the test PKI).
#
#   standin_setup CLUSTER
#                      register CLUSTER with the service (server: the
#                      stand-in, certificate_authority_data: the test CA),
#                      fetch its webhook kubeconfig and start the stand-in
#                      (t/lib/apiserver-standin.py) on a free port; sets
#                      STANDIN_URL, STANDIN_LOG, CLUSTER_ID
#   plugin_user DIR    a user of their own: HOME=DIR (its ~/.cache and
#                      ~/.kube), KUBECONFIG=DIR/.kube/config, no
#                      XDG_CACHE_HOME, the plugin first on PATH
#   on_tty TRANSCRIPT [PTY-RUN-ARGS...] -- COMMAND...
#                      run COMMAND on a terminal of its own
#                      (t/lib/pty-run.py: --answer REGEX TEXT, --wait-for
#                      REGEX); sets $rc and $tty (what the terminal showed)
#   cache_files        the user's token cache files, one a line
#
# Server-level functions, also used by contrib/quickstart.sh:
#   standin_register URL CACERT ADMIN-TOKEN CLUSTER SERVER WEBHOOK-FILE
#                      register CLUSTER with the service at URL (unless it
#                      is there) with SERVER as its API server and the test
#                      CA as its certificate_authority_data; write its
#                      webhook kubeconfig to WEBHOOK-FILE; print its id
#   standin_server_start DIR PORT WEBHOOK-KUBECONFIG   start the stand-in
#                      with nginx's certificate (PKI_DIR); sets STANDIN_PID

[ -n "${_KA_LIB_KUBECTL:-}" ] && return 0
_KA_LIB_KUBECTL=1
. "${BASH_SOURCE[0]%/*}/lib-daemon.sh"
. "${BASH_SOURCE[0]%/*}/lib-pki.sh"

standin_server_start() {   # standin_server_start DIR PORT WEBHOOK-KUBECONFIG
	local d=$1 port=$2 webhook=$3
	: "${PKI_DIR:?standin_server_start needs pki_setup}"
	mkdir -p "$d"
	spawn_daemon standin "$d/standin.log" python3 "$KA_SRCDIR/t/lib/apiserver-standin.py" \
		--port "$port" --cert "$PKI_DIR/server.pem" --key "$PKI_DIR/server.key" \
		--webhook-kubeconfig "$webhook" --webhook-ca "$PKI_DIR/ca.pem"
	STANDIN_PID=$SPAWNED_PID
	# Up when it answers (401: no token) over TLS with the test CA.
	waitfor "$STANDIN_PID" 100 curl -s -o /dev/null --cacert "$PKI_DIR/ca.pem" \
		"https://localhost:$port/version"
}

standin_register() {   # standin_register URL CACERT ADMIN-TOKEN CLUSTER SERVER WEBHOOK-FILE
	local url=$1 ca=$2 admin=$3 cluster=$4 server=$5 webhook=$6 id
	_standin_api() {   # METHOD PATH [JSON]
		curl -sS --cacert "$ca" --max-time 20 -X "$1" \
			-H "x-auth-token: $admin" ${3:+-d "$3"} "$url$2"
	}
	id=$(_standin_api GET "/clusters?name=$cluster" | jq -r '.[0].id // empty')
	[ -n "$id" ] || id=$(_standin_api POST /clusters "{\"name\": \"$cluster\",
		\"server\": \"$server\",
		\"certificate_authority_data\": \"$(base64 -w0 <"$PKI_DIR/ca.pem")\"}" | jq -r '.id // empty')
	[ -n "$id" ] || return 1
	_standin_api GET "/clusters/$id/webhook-kubeconfig" >"$webhook" &&
		jq -e '.clusters[0].cluster.server' "$webhook" >/dev/null || return 1
	echo "$id"
}

standin_setup() {   # standin_setup CLUSTER
	local cluster=$1 port
	port=$(free_port)
	STANDIN_URL=https://localhost:$port
	CLUSTER_ID=$(standin_register "$KA_URL" "$KA_CACERT" "$KA_ADMIN_TOKEN" "$cluster" \
		"$STANDIN_URL" "$T/webhook-$cluster.json") || { diag "registering $cluster failed"; return 1; }
	standin_server_start "$T/standin-$cluster" "$port" "$T/webhook-$cluster.json" || return 1
	STANDIN_LOG=$T/standin-$cluster/standin.log
}

plugin_user() {   # plugin_user DIR
	mkdir -p "$1"
	export HOME=$1 KUBECONFIG=$1/.kube/config
	unset XDG_CACHE_HOME KUBERNETES_AUTH_PASSWORD KUBERNETES_AUTH_USER
	case ":$PATH:" in
	*":$KA_BUILDDIR:"*) ;;
	*) export PATH=$KA_BUILDDIR:$PATH ;;
	esac
}

on_tty() {   # on_tty TRANSCRIPT [PTY-RUN-ARGS...] -- COMMAND...
	local transcript=$1
	shift
	python3 "$KA_SRCDIR/t/lib/pty-run.py" --timeout "$((60 * TEST_TIME_FACTOR))" \
		--transcript "$transcript" "$@"
	rc=$?
	tty=$(tr -d '\r' <"$transcript" 2>/dev/null)
}

cache_files() { find "$HOME/.cache/kubernetes-auth" -name 'token-*.json' 2>/dev/null | sort; }

# lib-nginx.sh — the real site file, nginx/kubernetes-auth.conf, in front of
# the service under test.
#
#   nginx_setup        start nginx (as root; its workers run as
#                      nobody:nogroup, the service's listen_peer_users and
#                      listen_group in tests; KA_NGINX_USER and
#                      KA_NGINX_GROUP say otherwise)
#                      on 127.0.0.1:$KA_NGINX_PORT (reserved by ka_config, or
#                      here), forwarding to $KA_SOCK and serving /ui/ from
#                      $KA_UI_DIR (default: the source tree's ui/). Exports KA_URL
#                      (https://localhost:PORT), KA_CACERT (the test CA that
#                      signed nginx's certificate), KA_NGINX_PORT,
#                      KA_NGINX_LOGS (access and error logs).
#   nginx_stop         graceful stop (SIGQUIT)
#   nginx_admin_limit  sets NGINX_RATE and NGINX_BURST: the site file's
#                      limit_req on the admin paths (requests a second,
#                      burst); non-zero when the file does not say
#   nginx_limit_most SECONDS   the most requests from one untrusted address
#                      that limit gets through in SECONDS (see below)
#
# Server-level functions, also used by contrib/quickstart.sh and the HA lab:
#   nginx_server_start DIR PORT SOCKET   sets NGINX_PID; needs pki_setup.
#                      With KA_NGINX_UNTRUSTED_LOOPBACK=1 the loopback
#                      addresses are rate-limited like any client's.
#   nginx_server_files DIR PORT SOCKET   only write (and check) its files
#   nginx_server_stop DIR

[ -n "${_KA_LIB_NGINX:-}" ] && return 0
_KA_LIB_NGINX=1
. "${BASH_SOURCE[0]%/*}/lib-daemon.sh"
. "${BASH_SOURCE[0]%/*}/lib-pki.sh"

PATH=$PATH:/usr/sbin
KA_NGINX_GROUP=nogroup

# The site file with its installed paths replaced by the test's.
_nginx_site() {   # _nginx_site DIR PORT SOCKET > SITE
	local d=$1 port=$2 sock=$3 ui=${KA_UI_DIR:-$KA_SRCDIR/ui}
	# nginx's workers (nobody) serve the page: a checkout below /root is
	# out of their reach, so they get a copy.
	if ! _ka_nobody_reads "$ui"; then
		rm -rf "$d/ui" && cp -rL "$ui" "$d/ui" && chmod -R a+rX "$d/ui" || return 1
		ui=$d/ui
	fi
	# KA_NGINX_UNTRUSTED_LOOPBACK=1: 127.0.0.1 and ::1 are rate-limited
	# like any client (the tests' own addresses are exempt otherwise).
	if [ "${KA_NGINX_UNTRUSTED_LOOPBACK:-0}" = 1 ]; then
		_nginx_site_paths "$@" | sed -e '/^ *127\.0\.0\.1 0;$/d' -e '/^ *::1 0;$/d'
	else
		_nginx_site_paths "$@"
	fi
}

_nginx_site_paths() {   # _nginx_site_paths DIR PORT SOCKET > SITE  (with $ui)
	local d=$1 port=$2 sock=$3
	sed -e "s|listen 443 |listen 127.0.0.1:$port |" \
		-e '/listen \[::\]:443 /d' \
		-e "s|/etc/kubernetes-auth/tls/server.crt|$PKI_DIR/server.pem|" \
		-e "s|/etc/kubernetes-auth/tls/server.key|$PKI_DIR/server.key|" \
		-e "s|/etc/kubernetes-auth/tls/apiserver-ca.crt|$PKI_DIR/apiserver-ca.pem|" \
		-e "s|/run/kubernetes-auth/kubernetes-auth.sock|$sock|" \
		-e "s|/usr/share/kubernetes-auth/ui/|$ui/|" \
		-e "s|/var/log/nginx/kubernetes-auth\.|$d/logs/kubernetes-auth.|" \
		-e 's|include fastcgi_params;|include /etc/nginx/fastcgi_params;|' \
		"$KA_SRCDIR/nginx/kubernetes-auth.conf"
}

# The site file and nginx.conf in DIR, checked, without starting nginx.
nginx_server_files() {   # nginx_server_files DIR PORT SOCKET
	local d=$1 port=$2 sock=$3 left
	: "${PKI_DIR:?nginx_server_files needs pki_setup}"
	mkdir -p "$d/logs" "$d/tmp"
	_nginx_site "$d" "$port" "$sock" >"$d/kubernetes-auth.conf" || return 1
	# A path the substitutions missed means the site file changed under us.
	if left=$(grep -nE '/etc/kubernetes-auth/|[ :]/run/kubernetes-auth/|/usr/share/kubernetes-auth/|/var/log/|listen +(443|\[::\])' \
		"$d/kubernetes-auth.conf"); then
		echo "nginx: site file not adapted for tests: $left" >&2
		return 1
	fi
	cat >"$d/nginx.conf" <<-EOF
	user ${KA_NGINX_USER:-nobody} $KA_NGINX_GROUP;
	worker_processes 2;
	daemon off;
	pid $d/nginx.pid;
	error_log $d/logs/error.log warn;
	events { worker_connections 8192; }
	http {
	    include /etc/nginx/mime.types;
	    default_type application/octet-stream;
	    sendfile on;
	    tcp_nopush on;
	    access_log off;
	    client_body_temp_path $d/tmp/body;
	    fastcgi_temp_path $d/tmp/fastcgi;
	    proxy_temp_path $d/tmp/proxy;
	    uwsgi_temp_path $d/tmp/uwsgi;
	    scgi_temp_path $d/tmp/scgi;
	    include $d/kubernetes-auth.conf;
	}
	EOF
	nginx -q -t -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf"
}

nginx_server_start() {   # nginx_server_start DIR PORT SOCKET
	local d=$1 port=$2 sock=$3
	nginx_server_files "$d" "$port" "$sock" || return 1
	spawn_daemon nginx "$d/logs/stdout.log" nginx -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf"
	NGINX_PID=$SPAWNED_PID
	echo "$NGINX_PID" >"$d/pid"
	if ! waitfor "$NGINX_PID" 100 _nginx_answers "$port"; then
		echo "nginx did not answer on port $port; its log:" >&2
		tail -n 20 "$d/logs/error.log" >&2
		stop_daemon "$NGINX_PID" KILL 0
		return 1
	fi
}

# Any path but the service's is answered by nginx itself: a 404.
_nginx_answers() {   # _nginx_answers PORT
	[ "$(curl -s -o /dev/null --cacert "$PKI_DIR/ca.pem" -w '%{http_code}' \
		"https://localhost:$1/.harness-probe")" = 404 ]
}

nginx_server_stop() {   # nginx_server_stop DIR
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	stop_daemon "$pid" QUIT 100
	rm -f "$1/pid"
}

nginx_setup() {
	command -v nginx >/dev/null || skip_all "nginx not installed"
	pki_setup || bail "pki_setup failed"
	KA_SOCK=${KA_SOCK:-$T/run/ka.sock}
	KA_NGINX_PORT=${KA_NGINX_PORT:-$(free_port)}
	nginx_server_start "$T/nginx" "$KA_NGINX_PORT" "$KA_SOCK" || bail "could not start nginx"
	KA_URL=https://localhost:$KA_NGINX_PORT
	KA_CACERT=$PKI_DIR/ca.pem
	KA_NGINX_LOGS=$T/nginx/logs
	export KA_SOCK KA_NGINX_PORT KA_URL KA_CACERT KA_NGINX_LOGS KA_NGINX_GROUP
}

nginx_stop() { nginx_server_stop "$T/nginx"; }

nginx_admin_limit() {
	local site=$KA_SRCDIR/nginx/kubernetes-auth.conf
	NGINX_RATE=$(sed -n 's/^limit_req_zone .*zone=kubernetes_auth_admin:.* rate=\([0-9]*\)r\/s;$/\1/p' "$site")
	NGINX_BURST=$(sed -n 's/^ *limit_req zone=kubernetes_auth_admin burst=\([0-9]*\) nodelay;$/\1/p' "$site")
	[[ "$NGINX_RATE/$NGINX_BURST" =~ ^[1-9][0-9]*/[1-9][0-9]*$ ]]
}

# limit_req is a leaky bucket: each request let through adds one, the
# bucket drains RATE a second, and a request that would fill it past BURST
# is turned away (429). A fresh bucket so lets the first BURST + 1 requests
# through at any speed, and over t seconds no more than BURST + 1 + RATE * t
# get through, however the requests are spread. Give SECONDS from before
# the first request left to after the last answer came (so at least the
# span over which nginx saw them arrive); a second is added, as nginx
# stamps requests with a clock it reads once per turn of its event loop.
nginx_limit_most() {   # nginx_limit_most SECONDS
	awk -v b="$NGINX_BURST" -v r="$NGINX_RATE" -v t="$1" 'BEGIN { printf "%d\n", b + 1 + r * (t + 1) }'
}

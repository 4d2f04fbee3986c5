#!/usr/bin/env bash
# The Debian packages, end to end: build them with dpkg-buildpackage from a
# clean copy of the tree; check the client package (the credential plugin
# alone: its files, its dependencies, lintian, install and purge); install
# the service's package with apt-get, check what it installed,
# point its configuration at the test MariaDB and slapd, run the installed
# binary the way the systemd unit does, behind the packaged nginx site, walk
# through the original's documented admin API, reload, stop, upgrade (config
# and keys survive), purge, and check that exactly the right things are gone.
#
# Changes the machine (the package database, /etc, /run/kubernetes-auth) and
# undoes it at exit, pass or fail: the package is purged, and the service
# account is removed again if this test created it.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"

PKG=kubernetes-auth
ACCOUNT=_kubernetes-auth
ETC=/etc/kubernetes-auth
UNIT=/lib/systemd/system/kubernetes-auth.service
SITE=/etc/nginx/sites-available/kubernetes-auth
SITE_LINK=/etc/nginx/sites-enabled/kubernetes-auth
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || skip_all "needs root (installs and purges the package)"
for tool in dpkg-buildpackage dh apt-get jq curl; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed (apt-get install debhelper jq curl)"
done
# One package test per machine at a time (two test runs side by side would
# install and purge the same package): the second waits for the first.
exec 8>/run/lock/kubernetes-auth-package-test.lock
flock -w "$(scaled 600)" 8 || skip_all "another package test holds /run/lock/kubernetes-auth-package-test.lock"
# Someone's installation is not ours to purge.
if dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^.[^n]'; then
	skip_all "$PKG is installed on this machine (or its configuration is left): this test would purge it"
fi
[ -e "$ETC" ] && skip_all "$ETC exists: this test would change it"
[ -e "$SITE_LINK" ] && skip_all "$SITE_LINK exists: this test would change it"

mariadb_setup
slapd_setup

# --- build ---------------------------------------------------------------------

version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$KA_SRCDIR/debian/changelog")
arch=$(dpkg --print-architecture)
src=$T/build/$PKG-$version
mkdir -p "$src"
# The tree as a checkout has it (tracked files plus new, not ignored ones):
# no build products, whatever state the working tree is in.
if git -C "$KA_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$KA_SRCDIR" ls-files -z -c -o --exclude-standard |
		tar -C "$KA_SRCDIR" --null --ignore-failed-read -cf - -T - 2>/dev/null |
		tar -C "$src" -xf -
else
	cp -a "$KA_SRCDIR/." "$src/"
	[ -f "$src/Makefile" ] && make -C "$src" -s distclean >/dev/null 2>&1
fi
ok "$(test -f "$src/debian/rules" && test -f "$src/configure.ac"; echo $?)" "a clean copy of the tree in $src"
(cd "$src" && dpkg-checkbuilddeps) >"$T/checkbuilddeps.log" 2>&1 ||
	skip_all "build dependencies missing: $(cat "$T/checkbuilddeps.log")"

# A clean environment, as a builder has: the harness's KA_BIN and friends
# would point the package's unit tests at the binary of this tree.
started=$EPOCHREALTIME
(cd "$src" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T" LANG=C.UTF-8 \
	DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b builds ($(elapsed "$started") s)" ||
	{ tail -n 40 "$T/build.log" | sed 's/^/#   /'; bail "the package did not build"; }
deb=$T/build/${PKG}_${version}_$arch.deb
ok "$(test -f "$deb"; echo $?)" "it made ${deb##*/} ($(stat -c %s "$deb" 2>/dev/null) bytes)"
# A libfcgi without the fix for CVE-2025-23016 (an overflow in ReadParams,
# which reads what reaches the socket) must not satisfy the package.
like "$(dpkg-deb -f "$deb" Depends)" 'libfcgi0ldbl \(>= 2\.4\.2-2\+deb12u1\)' \
	"it needs a libfcgi with the fix for CVE-2025-23016"
# -a: a unit test's message once carried stray bytes (a buffer never
# written), and from there grep took the log for binary and kept the
# matching lines that followed to itself: "only the unit tests" checked
# less than the whole list, and nothing said so.
like "$(grep -aE '^# (TOTAL|FAIL|SKIP)' "$T/build.log" | tr '\n' ' ')" '# TOTAL: [1-9].*# FAIL: +0 ' \
	"dh_auto_test ran the unit tests, all passed"
tests_run=$(grep -aE '^(PASS|FAIL|SKIP): t/' "$T/build.log")
like "$tests_run" '^PASS: t/0' "... whose results the log lists"
unlike "$(printf '%s\n' "$tests_run" | grep -v '^[A-Z]*: t/0')" . \
	"... and only the unit tests (t/0*)"
ok "$(cd "$KA_SRCDIR" && test -z "$(git status --porcelain --ignored -- debian 2>/dev/null |
	grep -v '^??')"; echo $?)" "the working tree's debian/ is untouched"

if command -v lintian >/dev/null; then
	lintian -I --fail-on error "$deb" 2>&1 | grep -v "running with root privileges" >"$T/lintian.log"
	[ "${PIPESTATUS[0]}" = 0 ]
	is "$?" 0 "lintian: no errors"
	sed 's/^/# lintian: /' "$T/lintian.log"
else
	diag "lintian not installed: not run"
fi

# --- the client package: the plugin alone ----------------------------------------

CLIENT=kubernetes-auth-client
client_deb=$T/build/${CLIENT}_${version}_$arch.deb
ok "$(test -f "$client_deb"; echo $?)" "it made ${client_deb##*/} too"
is "$(dpkg-deb -c "$client_deb" | awk '$1 !~ /^d/ { print $NF }' | sort | xargs)" \
	"./usr/bin/kubectl-auth_login ./usr/share/doc/$CLIENT/changelog.gz ./usr/share/doc/$CLIENT/copyright ./usr/share/man/man1/kubectl-auth_login.1.gz" \
	"$CLIENT holds the plugin, its man page, copyright and changelog, nothing else"
client_depends=$(dpkg-deb -f "$client_deb" Depends)
like "$client_depends" 'libcurl4' "... it needs libcurl ($client_depends)"
like "$client_depends" 'libyajl2' "... and yajl"
unlike "$client_depends" 'libmariadb|libfcgi|libldap|libyaml|libssl|adduser|openssl|nginx' \
	"... and none of the service's dependencies"
is "$(dpkg-deb -f "$client_deb" Recommends)" kubernetes-client "... it recommends kubectl"
is "$(dpkg-deb -c "$deb" | grep -c 'kubectl-auth_login')" 0 "$PKG does not hold the plugin"
if command -v lintian >/dev/null; then
	lintian -I --pedantic --fail-on error,warning,info,pedantic "$client_deb" 2>&1 |
		grep -v "running with root privileges" >"$T/lintian-client.log"
	[ "${PIPESTATUS[0]}" = 0 ]
	is "$?" 0 "lintian --pedantic on $CLIENT: not a word (errors, warnings, info, pedantic)"
	sed 's/^/# lintian: /' "$T/lintian-client.log"
fi
if dpkg-query -W -f='${db:Status-Abbrev}' "$CLIENT" 2>/dev/null | grep -q '^.[^n]'; then
	diag "$CLIENT is installed on this machine: not installed by this test"
else
	at_exit "apt-get purge -y $CLIENT >/dev/null 2>&1"
	apt-get install -y --no-install-recommends "$client_deb" >"$T/install-client.log" 2>&1
	is "$?" 0 "apt-get install ./${client_deb##*/} (alone)" || tail -n 20 "$T/install-client.log" | sed 's/^/#   /'
	is "$(/usr/bin/kubectl-auth_login --version)" "kubectl-auth_login $version" "/usr/bin/kubectl-auth_login runs"
	is "$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null)" "" "... without $PKG installed"
	if command -v man >/dev/null; then
		warnings=$(MANWIDTH=80 man --warnings kubectl-auth_login 2>&1 >/dev/null)
		is "$warnings" "" "man kubectl-auth_login renders without warnings"
	fi
	apt-get purge -y "$CLIENT" >"$T/purge-client.log" 2>&1
	ok "$(test ! -e /usr/bin/kubectl-auth_login; echo $?)" "apt-get purge $CLIENT: the plugin is gone"
fi

# --- install -----------------------------------------------------------------

had_account=0
getent passwd "$ACCOUNT" >/dev/null && had_account=1
# At exit, in this order (the exit stack runs backwards): stop what runs,
# purge, remove what the test itself added.
[ "$had_account" = 1 ] || at_exit "deluser --system --quiet $ACCOUNT; delgroup --system --quiet $ACCOUNT"
at_exit "rm -rf '$ETC' /run/kubernetes-auth"
at_exit "[ -L '$SITE_LINK' ] && rm -f '$SITE_LINK'"
at_exit "apt-get purge -y $PKG"

# Everything outside /var that the package must leave as it found it.
snapshot() { find /etc /usr /lib -xdev -path '*/__pycache__' -prune -o -print 2>/dev/null | sort; }
snapshot >"$T/files.before"

started=$EPOCHREALTIME
apt-get install -y --no-install-recommends "$deb" >"$T/install.log" 2>&1
rc=$?
is "$rc" 0 "apt-get install ./${deb##*/} ($(elapsed "$started") s)" ||
	{ tail -n 30 "$T/install.log" | sed 's/^/#   /'; bail "the package did not install"; }
is "$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG")" "ii " "dpkg: installed"

perm() { stat -c '%U:%G %a' "$1" 2>&1; }
is "$(perm /usr/sbin/kubernetes-auth)" "root:root 755" "/usr/sbin/kubernetes-auth"
is "$(/usr/sbin/kubernetes-auth --version)" "kubernetes-auth $version" "... is this version"
n_sql=$(find "$KA_SRCDIR/sql" -name '*.sql' | wc -l)
is "$(find /usr/share/kubernetes-auth/sql -name '*.sql' | wc -l)" "$n_sql" \
	"/usr/share/kubernetes-auth/sql holds all $n_sql migration files"
ui_files=$(cd "$KA_SRCDIR/ui" && ls | xargs)
is "$(cd /usr/share/kubernetes-auth/ui 2>/dev/null && ls | xargs)" "$ui_files" \
	"/usr/share/kubernetes-auth/ui holds the page: $ui_files"
is "$(perm /usr/share/kubernetes-auth/ui/index.html)" "root:root 644" "... readable by nginx"
is "$(perm "$ETC/config.yaml")" "root:root 644" "$ETC/config.yaml"
is "$(perm "$SITE")" "root:root 644" "$SITE"
ok "$(test ! -e "$SITE_LINK"; echo $?)" "... not enabled"
conffiles=$(dpkg-query -W -f='${Conffiles}' "$PKG" | awk '{ print $1 }' | sort | xargs)
is "$conffiles" "$ETC/config.yaml $SITE" "both are conffiles"
is "$(perm "$UNIT")" "root:root 644" "$UNIT"
ok "$(test ! -e /etc/systemd/system/multi-user.target.wants/kubernetes-auth.service; echo $?)" \
	"... installed disabled"
ok "$(zcat /usr/share/man/man8/kubernetes-auth.8.gz | grep -q '^\.SH SIGNALS'; echo $?)" \
	"man page kubernetes-auth(8)"
if command -v man >/dev/null; then
	warnings=$(MANWIDTH=80 man --warnings -l /usr/share/man/man8/kubernetes-auth.8.gz 2>&1 >/dev/null)
	is "$warnings" "" "... which renders without warnings"
fi
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify "$UNIT" 2>&1)
	is "$out" "" "systemd-analyze verify $UNIT: no complaint"
fi

# The account and the generated secrets.
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$ACCOUNT")
ok "$(test -n "$uid" && [ "$uid" -lt 1000 ]; echo $?)" "system account $ACCOUNT (uid $uid)"
is "$(getent group "$gid" | cut -d: -f1)" "$ACCOUNT" "... with its own group"
is "$home $shell" "/nonexistent /usr/sbin/nologin" "... no home, no shell"
for f in token.key admin-token; do
	is "$(perm "$ETC/$f")" "root:$ACCOUNT 640" "$ETC/$f generated: root:$ACCOUNT 0640"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$ETC/$f" 2>&1)
	like "$out" "Permission denied" "... not readable by other users"
done
like "$(grep -v '^#' "$ETC/token.key")" '^1:[0-9a-f]{64}$' "token.key: one key, 1:<64 hex>"
like "$(grep -v '^#' "$ETC/admin-token")" '^admin:[0-9a-f]{64}$' "admin-token: admin:<64 hex>"
key_sum=$(sha256sum "$ETC/token.key" | cut -d' ' -f1)
ADMIN_TOKEN=$(sed -n 's/^admin://p' "$ETC/admin-token")

# --- configure, as an operator would -------------------------------------------

# The database password, the LDAP service password: the operator's files.
install -m 0640 -o root -g "$ACCOUNT" "$DB_PASSWORD_FILE" "$ETC/database-password"
install -m 0640 -o root -g "$ACCOUNT" "$LDAP_BIND_PASSWORD_FILE" "$ETC/ldap-password"
KA_NGINX_PORT=$(free_port)
cat >"$T/overlay.yaml" <<-EOF
workers: 2
shutdown_timeout: 10s
public_url: https://localhost:$KA_NGINX_PORT
database:
  host: $DB_HOST
  port: $DB_PORT
  name: $DB_NAME
  user: $DB_USER
  connect_timeout: 2s
ldap:
  urls: [ "$LDAP_URL" ]
  bind_dn: $LDAP_BIND_DN
  bind_password_file: $ETC/ldap-password
  base_dn: $LDAP_BASE_DN
  user_filter: "(|(uid=%s)(mail=%s))"
  # The walk-through registers users by mail: users are stored by mail.
  id_attribute: mail
  username_attribute: mail
  group_methods: [member, memberUid]
  network_timeout: 2s
authentication:
  default_groups: ["All Users"]
logging:
  level: 5
EOF
_ka_yaml_merge "$ETC/config.yaml" "$T/overlay.yaml" >"$T/config.yaml" &&
	cat "$T/config.yaml" >"$ETC/config.yaml"
like "$(grep -E '^(user|group|admin_token_file|migrations_dir):' "$ETC/config.yaml" | tr '\n' ' ')" \
	"^user: $ACCOUNT group: $ACCOUNT admin_token_file: $ETC/admin-token migrations_dir: /usr/share/kubernetes-auth/sql $" \
	"the packaged config keeps the package's account and paths"

out=$(/usr/sbin/kubernetes-auth check-config --connect -config-file "$ETC/config.yaml" 2>&1)
is "$?" 0 "kubernetes-auth check-config --connect -config-file $ETC/config.yaml" ||
	printf '%s\n' "$out" | sed 's/^/#   /'

# --- run it as the unit does ----------------------------------------------------

unit_value() { sed -n "s/^$1=//p" "$UNIT"; }
# systemd: RuntimeDirectory= (created root-owned, no User=), then the
# ExecStartPre lines ("+": with full privileges, as here), then ExecStart
# with UMask= and a clean environment.
run_dir=/run/$(unit_value RuntimeDirectory)
rm -rf "$run_dir"
mkdir -m "$(unit_value RuntimeDirectoryMode)" "$run_dir"
while read -r pre; do
	pre=${pre#[-+!@]}
	# shellcheck disable=SC2086
	$pre
	ok $? "ExecStartPre: $pre"
done < <(unit_value ExecStartPre)
read -ra exec_start <<<"$(unit_value ExecStart)"
is "${exec_start[*]}" "/usr/sbin/kubernetes-auth -config-file $ETC/config.yaml" "the unit's ExecStart"
spawn_daemon kubernetes-auth "$T/ka.log" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	sh -c 'umask "$0" && exec "$@"' "$(unit_value UMask)" "${exec_start[@]}"
KA_PID=$SPAWNED_PID
KA_SOCK=$run_dir/kubernetes-auth.sock
waitfor "$KA_PID" 150 _ka_ready
ok $? "the installed service runs (migrated and forked)" || {
	sed 's/^/#   /' "$T/ka.log" | tail -n 30
	bail "the installed service did not start"
}
is "$(perm "$run_dir")" "root:$ACCOUNT 771" "$run_dir: root:$ACCOUNT 0771"
is "$(perm "$KA_SOCK")" "root:www-data 660" "socket: root:www-data 0660"
# (ps would cut the 16-character name.)
is "$(ps -o uid= -p "$(ka_pids | paste -sd, -)" | sort -u | xargs)" "$uid" \
	"master and workers run as $ACCOUNT"

# The packaged nginx site in the test nginx: its paths swapped for the test's
# (t/lib/lib-nginx.sh), fed from the installed file. The test nginx's
# workers run as www-data, as Debian's do (the packaged config serves that
# user only: listen_peer_users); they reach the socket through a link,
# since the harness moves every /run path into $T.
eval "$(declare -f _nginx_site | sed '1s/^_nginx_site /_nginx_site_from_tree /')"
_nginx_site() { local KA_SRCDIR=$T/installed; _nginx_site_from_tree "$@"; }
mkdir -p "$T/installed/nginx" "$T/run"
ln -s "$SITE" "$T/installed/nginx/kubernetes-auth.conf"
ln -s /usr/share/kubernetes-auth/ui "$T/installed/ui"
ln -s "$KA_SOCK" "$T/run/ka.sock"
KA_NGINX_USER=www-data KA_NGINX_GROUP=www-data
KA_SOCK=$T/run/ka.sock nginx_setup
KA_SOCK=$run_dir/kubernetes-auth.sock
ka_curl GET /healthz
is "$status $(jq -r .status <<<"$body")" "200 ok" "GET /healthz through the packaged site"
ka_curl GET /ui/
is "$status $(header x-frame-options)" "200 DENY" "GET /ui/ through the packaged site: the page"
is "$body" "$(cat /usr/share/kubernetes-auth/ui/index.html)" "... the installed one"

# --- the documented walk-through (../shared/ORIGINAL-API.md) ----------------------

K8S_AUTH_URL=$KA_URL
K8S_AUTH_ADMIN_TOKEN=$ADMIN_TOKEN
K8S_AUTH_USERNAME=alice@example.org
export CURL_CA_BUNDLE=$KA_CACERT
out=$(curl -s -X POST "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"username\": \"$K8S_AUTH_USERNAME\"}")
is "$(jq -r .username <<<"$out")" "$K8S_AUTH_USERNAME" \
	"1. POST /users (plain curl -d, the generated admin token)"
USER_ID=$(curl -s "$K8S_AUTH_URL/users" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.username == \"$K8S_AUTH_USERNAME\") | .id")
like "$USER_ID" '^[0-9a-f-]{36}$' "2. GET /users | jq: the id"
tok=$(curl -s -X POST "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" \
	-d "{\"user_id\": \"$USER_ID\"}")
is "$(jq -r .user_id <<<"$tok")" "$USER_ID" "3. POST /tokens"
TOKEN=$(curl -s "$K8S_AUTH_URL/tokens" -H "x-auth-token: $K8S_AUTH_ADMIN_TOKEN" |
	jq -r ".[] | select(.user_id == \"$USER_ID\") | .token")
like "$TOKEN" '^[0-9a-f]{64}$' "4. GET /tokens | jq: the token (sealed with the generated key file)"
is "$TOKEN" "$(jq -r .token <<<"$tok")" "... the one just made"
out=$(curl -s -X POST "$K8S_AUTH_URL/authenticate/token" -d "{\"spec\": {\"token\": \"$TOKEN\"}}")
is "$(jq -c '[.apiVersion, .status.authenticated, .status.user.username, .status.user.uid]' <<<"$out")" \
	"[\"authentication.k8s.io/v1beta1\",true,\"$K8S_AUTH_USERNAME\",\"500\"]" \
	"5. POST /authenticate/token: authenticated, v1beta1, username and uid from LDAP"
like "$(jq -c .status.user.groups <<<"$out")" '"All Users"' "... with the default group"

# The README's last install step: a cluster and its webhook kubeconfigs.
KA_ADMIN_TOKEN=$ADMIN_TOKEN
admin_curl POST /clusters -d '{"name": "prod"}'
cluster_id=$(jq -r .id <<<"$body")
admin_curl GET "/clusters/$cluster_id/webhook-kubeconfig"
is "$status $(jq -r '.clusters[0].cluster.server' <<<"$body")" "200 $KA_URL/authenticate/token/prod" \
	"GET /clusters/{id}/webhook-kubeconfig: the authentication webhook at public_url"
admin_curl GET "/clusters/$cluster_id/webhook-kubeconfig?for=authorization"
is "$status $(jq -r '.clusters[0].cluster.server' <<<"$body")" "200 $KA_URL/authorize/prod" \
	"... ?for=authorization: the authorization webhook"

# --- reload (ExecReload), stop (KillSignal) ---------------------------------------

# Rotation: a second admin token, picked up by SIGHUP as the service account
# (the file is root:_kubernetes-auth 0640).
second=$(random_hex 32)
echo "ops:$second" >>"$ETC/admin-token"
read -ra exec_reload <<<"$(unit_value ExecReload | sed "s/\\\$MAINPID/$KA_PID/")"
"${exec_reload[@]}"
ok "$(eventually 100 grep -q 'reload complete' "$T/ka.log"; echo $?)" "ExecReload: rolling reload"
ka_curl GET /users -H "x-auth-token: $second"
is "$status" 200 "... the new admin token works"
is "$(ps -o uid= -p "$(pgrep -P "$KA_PID" | paste -sd, -)" | sort -u | xargs)" "$uid" \
	"... new workers run as $ACCOUNT"

is "$(unit_value KillSignal)" SIGTERM "the unit stops with SIGTERM"
stop_daemon "$KA_PID" TERM 150
is "$?" 0 "... a graceful stop (exit status 0)"
ok "$(test ! -e "$run_dir/kubernetes-auth.sock"; echo $?)" \
	"... the master, no longer root, removed its socket"

# --- upgrade: the same package as a later version --------------------------------

config_sum=$(sha256sum "$ETC/config.yaml" | cut -d' ' -f1)
admin_sum=$(sha256sum "$ETC/admin-token" | cut -d' ' -f1)
dpkg-deb -R "$deb" "$T/next" &&
	sed -i "s/^Version: .*/Version: $version+next/" "$T/next/DEBIAN/control" &&
	dpkg-deb -b "$T/next" "$T/next.deb" >/dev/null
apt-get install -y --no-install-recommends "$T/next.deb" >"$T/upgrade.log" 2>&1
is "$?" 0 "upgrade to $version+next" || sed 's/^/#   /' "$T/upgrade.log" | tail -n 20
is "$(sha256sum "$ETC/token.key" | cut -d' ' -f1)" "$key_sum" "... token.key kept"
is "$(sha256sum "$ETC/admin-token" | cut -d' ' -f1)" "$admin_sum" "... admin-token kept"
is "$(sha256sum "$ETC/config.yaml" | cut -d' ' -f1)" "$config_sum" "... the edited config.yaml kept"
is "$(perm "$ETC/token.key")" "root:$ACCOUNT 640" "... owner and mode kept"

# --- purge -----------------------------------------------------------------------

# Enabled the way the README says, so that purge must clean the link up.
ln -s ../sites-available/kubernetes-auth "$SITE_LINK"
apt-get purge -y "$PKG" >"$T/purge.log" 2>&1
is "$?" 0 "apt-get purge -y $PKG" || sed 's/^/#   /' "$T/purge.log" | tail -n 20
unlike "$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null)" '^.[^n]' "dpkg: gone"
for f in /usr/sbin/kubernetes-auth /usr/share/kubernetes-auth "$UNIT" "$SITE" "$SITE_LINK" \
	"$ETC/config.yaml" "$ETC/token.key" "$ETC/admin-token" /usr/share/man/man8/kubernetes-auth.8.gz; do
	ok "$(test ! -e "$f" && test ! -L "$f"; echo $?)" "removed: $f"
done
for f in "$ETC/database-password" "$ETC/ldap-password"; do
	ok "$(test -f "$f"; echo $?)" "kept: $f (the operator's)"
done
ok "$(getent passwd "$ACCOUNT" >/dev/null; echo $?)" "kept: the system account $ACCOUNT (Debian practice)"
# Nothing else changed: the files under /etc, /usr and /lib are those of
# before, but for the operator's two files and their directory.
snapshot >"$T/files.after"
is "$(diff "$T/files.before" "$T/files.after" | grep '^[<>]' | xargs)" \
	"> $ETC > $ETC/database-password > $ETC/ldap-password" \
	"no other file appeared or disappeared under /etc, /usr, /lib"

done_testing

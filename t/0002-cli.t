#!/usr/bin/env bash
# Command line: option forms, --help/--version, check-config, admin token
# precedence (flag, then environment, then admin_token_file). No services.
. "$(dirname "$0")/lib/tap.sh"

T=$(mktemp -d /tmp/ka-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT

cat >"$T/config.yaml" <<YAML
listen: $T/ka.sock
database: {host: 127.0.0.1, port: 1, connect_timeout: 1s}
ldap:
  urls: [ "ldap://127.0.0.1:1" ]
  network_timeout: 1s
  base_dn: dc=example,dc=org
YAML
TOKEN=0123456789abcdef0123456789abcdef

run() { out=$("$KA_BIN" "$@" 2>&1); rc=$?; }

run --help
is "$rc" 0 "--help exits 0"
like "$out" "usage: kubernetes-auth" "--help prints usage"
run -h
is "$rc" 0 "-h exits 0"
run --version
is "$rc" 0 "--version exits 0"
like "$out" "^kubernetes-auth [0-9]+\.[0-9]+" "--version prints the version"

for form in "-config-file $T/config.yaml" "--config-file $T/config.yaml" \
	"-config-file=$T/config.yaml" "--config-file=$T/config.yaml"; do
	# shellcheck disable=SC2086
	run check-config $form -admin-token "$TOKEN"
	is "$rc" 0 "check-config accepts $form"
done
like "$out" "configuration ok" "check-config says ok"
run -admin-token="$TOKEN" --log-level=9 check-config -config-file "$T/config.yaml"
is "$rc" 0 "options before the command, -x=V and --x=V forms"

run check-config -config-file "$T/config.yaml" -log-level 0 -admin-token "$TOKEN"
is "$rc" 2 "-log-level 0 refused"
like "$out" "log-level must be an integer from 1 to 9" "-log-level message"
run check-config -config-file "$T/config.yaml" -log-level 10 -admin-token "$TOKEN"
is "$rc" 2 "-log-level 10 refused"
run check-config -config-file "$T/config.yaml" -log-level abc -admin-token "$TOKEN"
is "$rc" 2 "-log-level abc refused"
run --frobnicate
is "$rc" 2 "unknown option refused"
like "$out" "unknown option 'frobnicate'" "unknown option named"
run check-config -config-file
is "$rc" 2 "option without its value refused"
like "$out" "needs a value" "missing value message"
run frobnicate -config-file "$T/config.yaml"
is "$rc" 2 "unknown command refused"
like "$out" "unknown command 'frobnicate'" "unknown command named"

run check-config -config-file "$T/missing.yaml" -admin-token "$TOKEN"
is "$rc" 1 "missing config file: exit 1"
like "$out" "$T/missing.yaml" "missing config file named"
printf 'listen: /tmp/x.sock\nworkers: many\n' >"$T/bad.yaml"
run check-config -config-file "$T/bad.yaml" -admin-token "$TOKEN"
is "$rc" 1 "bad config: exit 1"
like "$out" "bad.yaml:2: workers: " "bad config: file, line and key in the message"
(cd "$T" && "$KA_BIN" check-config -admin-token "$TOKEN" >/dev/null 2>&1)
is "$?" 0 "default -config-file is config.yaml in the working directory"

# Admin token: flag, then environment, then file.
run check-config -config-file "$T/config.yaml"
is "$rc" 1 "no admin token at all: refused"
like "$out" "no admin token" "no admin token: message says how to give one"
run check-config -config-file "$T/config.yaml" -admin-token ""
is "$rc" 1 "empty -admin-token refused"
like "$out" "empty" "empty token message"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$TOKEN "$KA_BIN" check-config -config-file "$T/config.yaml" 2>&1)
is "$?" 0 "KUBERNETES_AUTH_ADMIN_TOKEN accepted"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=short "$KA_BIN" check-config -config-file "$T/config.yaml" 2>&1)
is "$?" 0 "a short token works"
like "$out" "shorter than 32 characters" "a short token warns"
unlike "$out" "short[^e]" "the warning does not print the token"

printf 'ops:%s\n# rotated in\nci:%s\n' "$TOKEN" "${TOKEN}ff" >"$T/admin-tokens"
chmod 600 "$T/admin-tokens"
printf 'admin_token_file: %s\n' "$T/admin-tokens" >>"$T/config.yaml"
run check-config -config-file "$T/config.yaml"
is "$rc" 0 "admin_token_file with name:token lines accepted"
printf 'ops:%s\nbare-token-without-name\n' "$TOKEN" >"$T/admin-tokens"
run check-config -config-file "$T/config.yaml"
is "$rc" 1 "malformed admin_token_file line refused"
like "$out" "admin-tokens:2: expected name:token" "malformed line: file and line named"
unlike "$out" "bare-token-without-name" "malformed line: its content is not echoed"
run check-config -config-file "$T/config.yaml" -admin-token "$TOKEN"
is "$rc" 0 "the flag takes precedence over admin_token_file"
printf 'ops:\n' >"$T/admin-tokens"
run check-config -config-file "$T/config.yaml"
is "$rc" 1 "empty token in the file refused"
printf 'ops:%s\n' "$TOKEN" >"$T/admin-tokens"
chmod 644 "$T/admin-tokens"
run check-config -config-file "$T/config.yaml"
like "$out" "readable by every user" "world-readable token file warns"

# check-config --connect fails fast against backends that are not there.
run check-config --connect -config-file "$T/config.yaml" -admin-token "$TOKEN"
is "$rc" 1 "check-config --connect fails without backends"
like "$out" "cannot reach the database" "--connect names the database"
like "$out" "cannot bind to LDAP" "--connect names LDAP"

done_testing

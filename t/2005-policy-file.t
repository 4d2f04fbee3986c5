#!/usr/bin/env bash
# policy_file: read at start (a bad one stops start-up, check-config says
# why), its rules decide next to the database's, are listed but read-only
# through the API (409), SIGHUP re-reads it (every new worker has the new
# rules), a broken file keeps the previous rules, and a database rule whose
# name the file takes is left out with an evaluationError.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"
. "$KA_SRCDIR/t/lib/lib-load.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
slapd_setup
PF=$T/policies.yaml
ka_config - <<YAML
workers: 3
policy_file: $PF
logging:
  level: 4
YAML
nginx_setup

conflict() {   # conflict DESCRIPTION METHOD PATH [CURL-ARGS...]
	admin_refused 409 "$@"
	like "$(body_error)" "policy_file" "... naming policy_file"
}
verdict_of() {   # verdict_of PATH USER GROUPS URL -> verdict[:rule]
	sar_body authorization.k8s.io/v1 "$2" "$3" url get "$4" >"$T/sar.json"
	sar_post "$1" "$T/sar.json"
	local v rule
	v=$(sar_verdict)
	rule=$(sar_reason | sed -n 's/.*policy "\(.*\)"$/\1/p')
	echo "$v${rule:+:$rule}"
}

# A bad file stops start-up, naming the line.
printf 'policies:\n  - name: ok\n    users: [a]\n    verbs: [get]\n    nonResourceURLs: [/a]\n    effect: allow\n  - name: broken\n    colour: red\n' >"$PF"
chmod 0644 "$PF"
out=$(ka_check_config 2>&1)
is "$?" 1 "check-config: a bad policy_file fails"
like "$out" 'line 8: unknown field "colour"' "... naming the line and field"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN timeout 30 "$KA_BIN" -config-file "$T/config.yaml" 2>&1)
is "$?" 1 "start-up with a bad policy_file: refused"
like "$out" "policy_file $PF: line 8: unknown field" "... saying why"
test ! -e "$KA_SOCK"
ok $? "... and leaves no socket"
rm -f "$PF"
out=$(KUBERNETES_AUTH_ADMIN_TOKEN=$KA_ADMIN_TOKEN timeout 30 "$KA_BIN" -config-file "$T/config.yaml" 2>&1)
is "$?" 1 "start-up with a missing policy_file: refused"

cat >"$PF" <<'YAML'
# Operators' own rules.
policies:
  - name: ops-everything
    groups: [ops]
    verbs: ["*"]
    nonResourceURLs: ["*"]
    effect: allow
  - name: prod-no-debug
    cluster: prod
    groups: ["*"]
    verbs: [get]
    nonResourceURLs: [/debug/*]
    effect: deny
YAML
chmod 0644 "$PF"
out=$(ka_check_config 2>&1)
is "$?" 0 "check-config: a good policy_file passes"
ka_start || bail "kubernetes-auth did not start"
wait_workers 3
grep -q "policy_file $PF: 2 rules" "$T/ka.log"
ok $? "the file is read at start: 2 rules"
admin_curl POST /clusters -d '{"name": "prod"}'
prod=$(jq -r .id <<<"$body")
policy_post '{"name":"db-rule","users":["dana"],"verbs":["get"],"nonResourceURLs":["/debug/pprof"],"effect":"allow"}'
db_id=$policy_id

is "$(verdict_of /authorize olga '["ops"]' /debug/pprof)" "allowed:ops-everything" "a file rule decides"
is "$(verdict_of /authorize dana '[]' /debug/pprof)" "allowed:db-rule" "a database rule decides next to it"
is "$(verdict_of /authorize/prod dana '[]' /debug/pprof)" "denied:prod-no-debug" "a file cluster rule denies over a database allow"

# Listed and readable, read-only.
admin_curl GET /policies
is "$(jq -c '[.[] | [.name, (.id // "file")]]' <<<"$body")" \
	"[[\"db-rule\",$db_id],[\"ops-everything\",\"file\"],[\"prod-no-debug\",\"file\"]]" \
	"GET /policies: database rules by id, then the file's, without id"
admin_curl GET /policies/prod-no-debug
is "$status:$(jq -r .cluster <<<"$body")" "200:prod" "GET /policies/{name} of a file rule"
conflict "PUT a file rule" PUT /policies/ops-everything -d '{"name":"ops-everything","groups":["ops"],"verbs":["get"],"nonResourceURLs":["*"],"effect":"allow"}'
conflict "DELETE a file rule" DELETE /policies/ops-everything
conflict "POST a file rule's name" POST /policies -d '{"name":"prod-no-debug","users":["x"],"verbs":["get"],"nonResourceURLs":["/x"],"effect":"allow"}'
conflict "PUT a database rule to a file rule's name" PUT "/policies/$db_id" -d '{"name":"ops-everything","users":["dana"],"verbs":["get"],"nonResourceURLs":["/x"],"effect":"allow"}'
conflict "DELETE a cluster a file rule names" DELETE "/clusters/$prod"

# SIGHUP: new rules in every new worker.
before=$(worker_pids)
cat >"$PF" <<'YAML'
- name: ops-everything
  groups: [ops]
  verbs: [get]
  nonResourceURLs: [/healthz]
  effect: allow
- name: db-rule
  users: [dana]
  verbs: [get]
  nonResourceURLs: ["*"]
  effect: deny
YAML
kill -HUP "$KA_PID"
eventually 100 eval '[ "$(grep -c "reload complete" "$T/ka.log")" -ge 1 ]'
ok $? "SIGHUP: reload complete"
wait_workers 3
common=$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$(worker_pids)" | sort) | grep -c .)
is "$common" 0 "... every worker replaced"
grep -q "policy_file $PF: 2 rules" "$T/ka.log"
ok $? "... the file read again"
for i in 1 2 3 4 5 6; do
	got=$(verdict_of /authorize olga '["ops"]' /debug/pprof)
	[ "$got" = no-opinion ] || break
done
is "$got" no-opinion "the changed file rule no longer allows /debug (6 requests)"
is "$(verdict_of /authorize/prod olga '["ops"]' /debug/pprof)" no-opinion "the removed cluster rule is gone"
is "$(verdict_of /authorize dana '[]' /debug/pprof)" "denied:db-rule" \
	"a file rule named like a database rule: the file's decides"
is "$(jq -r .status.evaluationError "$T/.curl.body")" "policy $db_id is left out: its name is taken by policy_file" \
	"... and the answer says the database rule is left out"
admin_curl DELETE "/clusters/$prod"
is "$status" 200 "no rule names the cluster any more: it can go"

# A broken file: logged, the previous rules stay, the rest of the reload
# goes on.
printf -- '- name: ops-everything\n  groups: [ops]\n  verbs: get\n' >"$PF"
reloads=$(grep -c "reload complete" "$T/ka.log")
kill -HUP "$KA_PID"
eventually 100 eval '[ "$(grep -c "reload complete" "$T/ka.log")" -gt "$reloads" ]'
ok $? "SIGHUP with a broken file: the reload still completes"
like "$(cat "$T/ka.log")" "policy_file $PF: line 3: verbs" "... the file's error is logged with its line"
grep -q "reload: policy_file $PF is invalid; keeping the previous rules" "$T/ka.log"
ok $? "... and that the previous rules stay"
bad=0
for i in $(seq 9); do
	[ "$(verdict_of /authorize olga '["ops"]' /healthz)" = allowed:ops-everything ] || bad=$((bad + 1))
done
is "$bad" 0 "the previous file rules keep deciding in the new workers (9 requests)"
chmod 0600 "$PF"
kill -HUP "$KA_PID"
eventually 100 eval '[ "$(grep -c "reload complete" "$T/ka.log")" -gt "$((reloads + 1))" ]'
grep -q "policy_file $PF: Permission denied" "$T/ka.log"
ok $? "a file the service user cannot read: logged, previous rules kept"
is "$(verdict_of /authorize olga '["ops"]' /healthz)" allowed:ops-everything "... still deciding"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing

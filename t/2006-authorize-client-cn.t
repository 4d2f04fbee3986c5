#!/usr/bin/env bash
# A cluster bound to a client certificate (client_cn) answers its
# authorization path, like its authentication paths, only to a client whose
# verified certificate has exactly that CN; otherwise 403 JSON. Clusters
# without client_cn and the global path need no certificate.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-authz.sh"

stack_up
SAR=$KA_SRCDIR/t/data/k8s-fixtures/sar-v1-resource.json

admin_curl POST /clusters -d '{"name": "open"}'
is "$status" 201 "cluster open, no client_cn"
admin_curl POST /clusters -d '{"name": "bound", "client_cn": "apiserver-b"}'
is "$status" 201 "cluster bound, client_cn apiserver-b"
admin_curl POST /policies -d '{"name":"devs-scale","cluster":"bound","groups":["developers"],
	"verbs":["get"],"apiGroups":["apps"],"resources":["deployments/scale"],"effect":"allow"}'
is "$status" 201 "a rule for cluster bound"

C=$PKI_CLIENT_DIR
pki_client_cert az-good apiserver-b || bail "pki_client_cert failed"
pki_client_cert az-wrong apiserver-x || bail "pki_client_cert failed"
pki_client_cert az-two "/CN=apiserver-b/CN=other" || bail "pki_client_cert failed"

sar_post /authorize/bound "$SAR" --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 200 "bound cluster, certificate with CN apiserver-b: 200"
is "$(jq -r .status.allowed <<<"$body")" true "... and the cluster's rule applies"
# Twice: the second answer comes from the worker's cluster cache.
sar_post /authorize/bound "$SAR" --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 200 "... again, from the cache"
for i in 1 2; do
	sar_post /authorize/bound "$SAR"
	is "$status" 403 "bound cluster, no certificate: 403 (try $i)"
	is "$(jq -r .message <<<"$body")" "client certificate not accepted for this cluster" "... a Status"
done
sar_post /authorize/bound "$SAR" --cert "$C/az-wrong.pem" --key "$C/az-wrong.key"
is "$status" 403 "bound cluster, certificate with another CN: 403"
sar_post /authorize/bound "$SAR" --cert "$C/az-two.pem" --key "$C/az-two.key"
is "$status" 403 "bound cluster, certificate with two CNs: 403"
sar_post /authorize/open "$SAR"
is "$status" 200 "unbound cluster, no certificate: 200"
sar_post /authorize "$SAR"
is "$status" 200 "global path, no certificate: 200"
sar_post /authorize/nosuch "$SAR" --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 404 "unknown cluster: 404"

# SubjectAccessReview bodies are bounded apart from admin bodies
# (webhook_max_body, 32 KiB by default): a user in thousands of groups
# costs a worker milliseconds per review.
groups() {   # groups N: a v1 SAR body with N groups
	python3 -c "import json, sys; n = int(sys.argv[1]); print(json.dumps({'apiVersion': 'authorization.k8s.io/v1',
		'kind': 'SubjectAccessReview', 'spec': {'user': 'alice', 'groups': ['group-%05d' % i for i in range(n)],
		'resourceAttributes': {'verb': 'get', 'resource': 'pods'}}}))" "$1"
}
groups 1000 >"$T/sar-16k.json"
ka_curl POST /authorize --data-binary @"$T/sar-16k.json"
is "$status" 200 "a SubjectAccessReview of $(stat -c %s "$T/sar-16k.json") bytes: 200"
groups 3000 >"$T/sar-48k.json"
ka_curl POST /authorize --data-binary @"$T/sar-48k.json"
is "$status:$(jq -r '.kind + " " + .reason' <<<"$body")" "413:Status RequestEntityTooLarge" \
	"one of $(stat -c %s "$T/sar-48k.json") bytes: 413, a Status"
admin_curl POST /policies --data-binary @"$T/sar-48k.json"
is "$status" 400 "... while an admin body that size is read (and refused as no rule)"

# webhook_client_cert: required: every webhook path needs a certificate
# nginx verified against the API servers' CA, the global ones too.
ka_restart - <<'YAML'
webhook_client_cert: required
YAML
sar_post /authorize "$SAR"
is "$status:$(jq -r .message <<<"$body")" "403:a verified client certificate is required" \
	"required: the global path without a certificate: 403"
sar_post /authorize/open "$SAR"
is "$status" 403 "... an unbound cluster's path too"
sar_post /authorize/nosuch "$SAR"
is "$status" 403 "... and an unknown cluster's (no oracle for names)"
ka_curl POST /authenticate/token -d '{"spec": {"token": "x"}}'
is "$status:$(jq -r .kind <<<"$body")" "403:Status" "... and the authentication webhook"
sar_post /authorize "$SAR" --cert "$C/az-wrong.pem" --key "$C/az-wrong.key"
is "$status" 200 "a verified certificate (any CN): the global path answers"
sar_post /authorize/open "$SAR" --cert "$C/az-wrong.pem" --key "$C/az-wrong.key"
is "$status" 200 "... and an unbound cluster's"
sar_post /authorize/bound "$SAR" --cert "$C/az-wrong.pem" --key "$C/az-wrong.key"
is "$status" 403 "... but a bound cluster still wants its own CN"
sar_post /authorize/bound "$SAR" --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 200 "... which answers"
ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing

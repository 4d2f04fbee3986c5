#!/usr/bin/env bash
# A cluster bound to a client certificate (client_cn) answers its
# authorization path, like its authentication paths, only to a client whose
# verified certificate has exactly that CN; otherwise 403 JSON. Clusters
# without client_cn and the global path need no certificate.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-mariadb.sh"
. "$KA_SRCDIR/t/lib/lib-slapd.sh"
. "$KA_SRCDIR/t/lib/lib-nginx.sh"

command -v jq >/dev/null || skip_all "jq not installed"
mariadb_setup
slapd_setup
ka_config
nginx_setup
ka_start || bail "kubernetes-auth did not start"
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

sar() {   # sar PATH [CURL-ARGS...]
	local path=$1
	shift
	ka_curl POST "$path?timeout=30s" -H 'Content-Type: application/json' --data-binary @"$SAR" "$@"
}

sar /authorize/bound --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 200 "bound cluster, certificate with CN apiserver-b: 200"
is "$(jq -r .status.allowed <<<"$body")" true "... and the cluster's rule applies"
# Twice: the second answer comes from the worker's cluster cache.
sar /authorize/bound --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 200 "... again, from the cache"
for i in 1 2; do
	sar /authorize/bound
	is "$status" 403 "bound cluster, no certificate: 403 (try $i)"
	is "$(jq -r .message <<<"$body")" "client certificate not accepted for this cluster" "... a Status"
done
sar /authorize/bound --cert "$C/az-wrong.pem" --key "$C/az-wrong.key"
is "$status" 403 "bound cluster, certificate with another CN: 403"
sar /authorize/bound --cert "$C/az-two.pem" --key "$C/az-two.key"
is "$status" 403 "bound cluster, certificate with two CNs: 403"
sar /authorize/open
is "$status" 200 "unbound cluster, no certificate: 200"
sar /authorize
is "$status" 200 "global path, no certificate: 200"
sar /authorize/nosuch --cert "$C/az-good.pem" --key "$C/az-good.key"
is "$status" 404 "unknown cluster: 404"
done_testing

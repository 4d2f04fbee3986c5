#!/usr/bin/env bash
# Per-cluster webhook paths: scoped tokens valid only on their clusters'
# paths, and a cluster bound to its API server's client certificate
# (client_cn) through nginx's ssl_verify_client optional: a verified
# certificate with exactly that CN, else 403 JSON.
. "$(dirname "$0")/lib/tap.sh"
. "$KA_SRCDIR/t/lib/lib-stack.sh"
. "$KA_SRCDIR/t/lib/lib-admin.sh"
. "$KA_SRCDIR/t/lib/lib-authn.sh"

stack_up

admin_curl POST /clusters -d '{"name": "alpha"}'
admin_curl POST /clusters -d '{"name": "bravo", "client_cn": "apiserver-b"}'
is "$status" 201 "cluster bravo, bound to client CN apiserver-b"
admin_curl POST /clusters -d '{"name": "charlie"}'
admin_user alice
admin_token "$user_id" && ANY=$token
admin_token "$user_id" '{"clusters": ["alpha"]}' && ALPHA=$token
admin_token "$user_id" '{"clusters": ["bravo", "charlie"]}' && BC=$token

AS_ALICE="authenticated as alice@example.org"

# --- scoping --------------------------------------------------------------
review "$ANY" /authenticate/token
is "$(review_answer)" "$AS_ALICE" "an unscoped token on the global path"
review "$ANY" /authenticate/token/alpha
is "$(review_answer)" "$AS_ALICE" "... and on a cluster's path"
review "$ALPHA" /authenticate/token/alpha
is "$(review_answer)" "$AS_ALICE" "a token scoped to alpha on alpha's path"
review "$ALPHA" /authenticate/token/charlie
is "$(review_answer)" "token not valid for this cluster" "... on charlie's path: refused"
review "$ALPHA" /authenticate/token
is "$(review_answer)" "token not valid for this cluster" "... on the global path: refused"
review "$ALPHA" /authenticate
is "$(review_answer)" "token not valid for this cluster" "... on the alias: refused"
review "$BC" /authenticate/token/charlie
is "$(review_answer)" "$AS_ALICE" "a token scoped to bravo and charlie on charlie's path"
review "$BC" /authenticate/token/alpha
is "$(review_answer)" "token not valid for this cluster" "... on alpha's: refused"
review "$ANY" /authenticate/token/nope
is "$(review_answer)" "404 cluster not found" "an unknown cluster: 404 JSON"
review "$ALPHA" "/authenticate/token/%61lpha"
is "$(review_answer)" "$AS_ALICE" "a percent-encoded cluster name is decoded"

# --- client_cn ------------------------------------------------------------
C=$PKI_CLIENT_DIR
pki_client_cert good apiserver-b || bail "pki_client_cert failed"
pki_client_cert good-o "/O=kube/CN=apiserver-b" || bail "pki_client_cert failed"
pki_client_cert wrong-cn apiserver-x || bail "pki_client_cert failed"
pki_client_cert two-cn "/CN=apiserver-b/CN=other" || bail "pki_client_cert failed"
pki_client_cert cn-in-o "/O=CN=apiserver-b/CN=evil" || bail "pki_client_cert failed"
pki_client_cert other-ca apiserver-b other-ca || bail "pki_client_cert failed"
pki_client_cert server-ca apiserver-b ca || bail "pki_client_cert failed"

review "$BC" /authenticate/token/bravo --cert "$C/good.pem" --key "$C/good.key"
is "$(review_answer)" "$AS_ALICE" "bravo with a verified certificate, CN apiserver-b"
review "$ANY" /authenticate/token/bravo --cert "$C/good-o.pem" --key "$C/good-o.key"
is "$(review_answer)" "$AS_ALICE" "... with O=kube besides the CN (an unscoped token)"
review "$BC" /authenticate/token/bravo
is "$(review_answer)" "403 this cluster's webhook needs its API server's client certificate" \
	"bravo without a certificate: 403 JSON"
like "$(header content-type)" '^application/json' "... as JSON"
review "$BC" /authenticate/token/bravo --cert "$C/wrong-cn.pem" --key "$C/wrong-cn.key"
is "$(review_answer)" "403 this cluster's webhook needs its API server's client certificate" \
	"a verified certificate with another CN: 403"
review "$BC" /authenticate/token/bravo --cert "$C/two-cn.pem" --key "$C/two-cn.key"
is "$(review_answer)" "403 this cluster's webhook needs its API server's client certificate" \
	"two CNs, one of them apiserver-b: 403"
review "$BC" /authenticate/token/bravo --cert "$C/cn-in-o.pem" --key "$C/cn-in-o.key"
is "$(review_answer)" "403 this cluster's webhook needs its API server's client certificate" \
	"CN=apiserver-b inside another attribute's value (O): 403 (a DN is parsed, not searched)"
review "$BC" /authenticate/token/bravo --cert "$C/other-ca.pem" --key "$C/other-ca.key"
is "$status" 403 "a certificate from an unrelated CA (unverified): 403"
like "$(header content-type)" '^application/json' "... as JSON"
review "$BC" /authenticate/token/bravo --cert "$C/server-ca.pem" --key "$C/server-ca.key"
is "$status" 403 "a certificate from the server CA, not the API servers' one: 403"
review "$ANY" /authenticate/token/alpha --cert "$C/good.pem" --key "$C/good.key"
is "$(review_answer)" "$AS_ALICE" "a cluster without client_cn takes any caller"
grep -q "audit: authn cluster bravo: refused: client certificate NONE" "$T/ka.log"
ok $? "the refusal is logged with the certificate's state"
grep -q "subject CN=apiserver-x" "$T/ka.log"
ok $? "... and subject (nginx's RFC 2253 form)"

ka_stop
ok $? "kubernetes-auth stops cleanly"
done_testing

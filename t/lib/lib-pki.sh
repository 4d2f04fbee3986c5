# lib-pki.sh — a throw-away PKI for the tests (openssl, EC P-256 keys).
#
#   pki_setup [DIR]    make sure a PKI exists and export PKI_DIR. Reuses
#                      $KA_PKI_DIR when t/run.sh made one for the whole run;
#                      else creates DIR (default $T/pki). Files:
#       ca.pem ca.key                   the test CA: signs the server certs
#       server.pem server.key           CN localhost, SAN localhost, 127.0.0.1
#                                       (nginx and slapd)
#       apiserver-ca.pem apiserver-ca.key   the CA for API-server client
#                                       certificates (nginx ssl_client_certificate)
#       other-ca.pem other-ca.key       an unrelated CA, for wrong-CA tests
#   pki_client_cert NAME SUBJECT [ISSUER]
#                      write $PKI_CLIENT_DIR/NAME.pem and NAME.key, a client
#                      certificate signed by ISSUER (apiserver-ca, or ca,
#                      other-ca). SUBJECT is a CN, or a whole subject when it
#                      starts with "/" (e.g. "/O=x/CN=a/CN=b"). PKI_CLIENT_DIR
#                      is $T/certs.

[ -n "${_KA_LIB_PKI:-}" ] && return 0
_KA_LIB_PKI=1
. "${BASH_SOURCE[0]%/*}/lib-daemon.sh"

_pki_days=365

_pki_ca() {   # _pki_ca DIR NAME CN
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/$2.key" -out "$1/$2.pem" -days "$_pki_days" -sha256 \
		-subj "/O=kubernetes-auth tests/CN=$3" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

_pki_leaf() {   # _pki_leaf DIR NAME SUBJECT ISSUER-PREFIX EXTENSIONS
	local dir=$1 name=$2 subj=$3 issuer=$4 ext=$5
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
		-out "$dir/$name.key" 2>/dev/null) || return 1
	openssl req -new -key "$dir/$name.key" -subj "$subj" 2>/dev/null |
		openssl x509 -req -CA "$issuer.pem" -CAkey "$issuer.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days "$_pki_days" -sha256 \
			-extfile <(printf '%s\n' "$ext") -out "$dir/$name.pem" 2>/dev/null
}

_pki_complete() {   # DIR holds a PKI valid for at least a day
	local f
	for f in ca server apiserver-ca other-ca; do
		[ -s "$1/$f.pem" ] && [ -s "$1/$f.key" ] || return 1
	done
	openssl x509 -checkend 86400 -noout -in "$1/server.pem" >/dev/null 2>&1
}

pki_setup() {   # pki_setup [DIR]
	if [ -z "${1:-}" ] && [ -n "${KA_PKI_DIR:-}" ] && _pki_complete "$KA_PKI_DIR"; then
		PKI_DIR=$KA_PKI_DIR
	else
		PKI_DIR=${1:-$T/pki}
		if ! _pki_complete "$PKI_DIR"; then
			mkdir -p "$PKI_DIR" && chmod 0700 "$PKI_DIR" || return 1
			(umask 077
				_pki_ca "$PKI_DIR" ca "kubernetes-auth test CA" &&
				_pki_ca "$PKI_DIR" apiserver-ca "kubernetes-auth test API-server client CA" &&
				_pki_ca "$PKI_DIR" other-ca "unrelated test CA") || return 1
			_pki_leaf "$PKI_DIR" server /CN=localhost "$PKI_DIR/ca" \
				"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1" || return 1
		fi
		# Readable by everyone but the keys: clients (curl, ldapsearch) need the CAs.
		chmod 0755 "$PKI_DIR"
		chmod 0644 "$PKI_DIR"/*.pem
	fi
	PKI_CLIENT_DIR=$T/certs
	export PKI_DIR PKI_CLIENT_DIR
}

pki_client_cert() {   # pki_client_cert NAME SUBJECT [ISSUER]
	local name=$1 subj=$2 issuer=${3:-apiserver-ca}
	: "${PKI_DIR:?pki_client_cert needs pki_setup first}"
	[[ "$subj" == /* ]] || subj="/CN=$subj"
	mkdir -p "$PKI_CLIENT_DIR"
	_pki_leaf "$PKI_CLIENT_DIR" "$name" "$subj" "$PKI_DIR/$issuer" \
		"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
}

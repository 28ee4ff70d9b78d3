#!/bin/sh
# Makes the TLS test certificates in DIR with the openssl CLI; prints
# nothing on success (the unit tests and the integration tests share it).
#
#	ca.pem ca.key			the test CA ("sockit test CA")
#	server.pem server.key		localhost, IP 127.0.0.1 and ::1, by ca
#	server-chain.pem		server.pem followed by ca.pem
#	expired.pem expired.key		as server.pem, but expired in 2020
#	other-ca.pem other-ca.key	a second, unrelated CA
#	other.pem other.key		as server.pem, signed by other-ca
#	client.pem client.key		a client certificate, by ca
#	other-client.pem other-client.key  a client certificate, by other-ca
#
# Keys are ECDSA P-256 (fast to make), signatures SHA-256.
# Usage: tls-fixtures.sh DIR
set -u

dir=${1:?usage: tls-fixtures.sh DIR}
mkdir -p "$dir" || exit 1
cd "$dir" || exit 1
log=fixtures.log
: >"$log"

# Runs openssl quietly; on failure shows what it said and stops.
ossl() {
	if ! openssl "$@" >>"$log" 2>&1; then
		echo "tls-fixtures.sh: openssl $1 failed:" >&2
		cat "$log" >&2
		exit 1
	fi
}

key() {
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

cat >ext.cnf <<'EOF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EOF

# A CA: ca NAME SUBJECT
ca() {
	key "$1.key"
	ossl req -new -x509 -sha256 -days 3650 -key "$1.key" -out "$1.pem" \
	    -subj "$2" -config ext.cnf -extensions ca_ext
}

# A leaf: leaf NAME SUBJECT CA EXTENSIONS
leaf() {
	key "$1.key"
	ossl req -new -sha256 -key "$1.key" -out "$1.csr" -subj "$2" \
	    -config ext.cnf
	ossl x509 -req -sha256 -days 825 -in "$1.csr" -CA "$3.pem" \
	    -CAkey "$3.key" -CAcreateserial -out "$1.pem" \
	    -extfile ext.cnf -extensions "$4"
	rm -f "$1.csr"
}

ca ca "/O=sockit test/CN=sockit test CA"
ca other-ca "/O=sockit other/CN=sockit other CA"
leaf server "/O=sockit test/CN=localhost" ca server_ext
leaf other "/O=sockit other/CN=localhost" other-ca server_ext
leaf client "/O=sockit test/CN=sockit client" ca client_ext
leaf other-client "/O=sockit other/CN=sockit other client" other-ca client_ext
cat server.pem ca.pem >server-chain.pem

# openssl x509 cannot date a certificate in the past; openssl ca can.
key expired.key
ossl req -new -sha256 -key expired.key -out expired.csr \
    -subj "/O=sockit test/CN=localhost" -config ext.cnf
mkdir -p ca.db
: >ca.db/index.txt
cat >ca.cnf <<'EOF'
[ca]
default_ca = test_ca
[test_ca]
database = ca.db/index.txt
new_certs_dir = ca.db
serial = ca.db/serial
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
EOF
echo 1000 >ca.db/serial
ossl ca -batch -config ca.cnf -extensions server_ext -notext \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -in expired.csr -out expired.pem
rm -rf ca.db ca.cnf expired.csr ext.cnf ca.srl other-ca.srl "$log"
exit 0

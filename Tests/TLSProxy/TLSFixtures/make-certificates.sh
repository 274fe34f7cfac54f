#!/bin/sh
# Regenerates the test-only CA and server certificates of this folder (see README.md). Test keys only.
set -eu
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
    -keyout ca-key.pem -out ca.pem -subj "/CN=swift-libsql test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
issue() { # name, subjectAltName
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1-key.pem" -out "$1.csr" \
        -subj "/CN=$1"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$2" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" -sha256 \
        -extfile "$1.ext" -out "$1.pem"
    rm "$1.csr" "$1.ext"
}
issue server "DNS:localhost,IP:127.0.0.1,IP:::1"
issue wrong-host "DNS:wrong.example"
rm -f ca.srl ca-key.pem

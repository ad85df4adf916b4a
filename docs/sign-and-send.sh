#!/usr/bin/env bash
# Signs a DIP send the way public DIP clients do, and POSTs it with curl:
#   X-DIP-Signature-Date         UTC now, 2025-06-27T14:29:09.061Z
#   X-DIP-Content-Hash           base64(SHA-256(body))
#   X-DIP-Signature-Certificate  base64(the sender's PEM certificate)
#   X-DIP-Signature              base64(RSA PKCS#1 v1.5 SHA-256 of "POST;<lowercased URL>;<date>;<hash>")
#
# usage: docs/sign-and-send.sh URL BODY_FILE PRIVATE_KEY_PEM CERTIFICATE_PEM API_KEY [CURL_ARG...]
# e.g.   docs/sign-and-send.sh http://127.0.0.1:8080/dip-channel/IF-061 \
#            deploy/examples/if-061.json sds-key.pem sds-cert.pem demo-sds-key
# Further arguments go to curl, e.g. for a hub with http.tls and client certificates:
#        docs/sign-and-send.sh https://127.0.0.1:8443/dip-channel/IF-061 ... demo-sds-key \
#            --cacert hub-cert.pem --cert client-cert.pem --key client-key.pem
# Needs openssl, curl and GNU date (Debian: openssl, curl, coreutils).
set -euo pipefail
if [ $# -lt 5 ]; then
  sed -n '2,15p' "$0" >&2
  exit 2
fi
url=$1 body=$2 key=$3 cert=$4 api_key=$5
shift 5

date=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
hash=$(openssl dgst -sha256 -binary "$body" | base64 -w0)
lower_url=$(printf '%s' "$url" | tr '[:upper:]' '[:lower:]')
signature=$(printf 'POST;%s;%s;%s' "$lower_url" "$date" "$hash" |
  openssl dgst -sha256 -sign "$key" | base64 -w0)
certificate=$(base64 -w0 "$cert")

curl -sS -X POST "$url" \
  -H 'Content-Type: application/json' \
  -H "X-API-Key: $api_key" \
  -H "X-DIP-Signature-Date: $date" \
  -H "X-DIP-Content-Hash: $hash" \
  -H "X-DIP-Signature-Certificate: $certificate" \
  -H "X-DIP-Signature: $signature" \
  --data-binary @"$body" \
  -w '\nHTTP %{http_code}\n' \
  "$@"

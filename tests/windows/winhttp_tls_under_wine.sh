#!/usr/bin/env bash
# The webhook's https path on Windows (WinHTTP) against a real TLS server on loopback: a CA and a
# server certificate for 127.0.0.1 made here with openssl, served by tests/windows/tls_server.py
# (Linux side), and the Windows test exe run under wine64 with the WinHttpTls* tests pointed at it
# (they skip when these variables are unset).
#     winhttp_tls_under_wine.sh WINDOWS_TEST_EXE
set -euo pipefail
exe=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
make_ca latchwatch-test-ca
make_ca latchwatch-other-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > ext
openssl x509 -req -in server.csr -CA latchwatch-test-ca.pem -CAkey latchwatch-test-ca.key \
  -CAcreateserial -days 2 -extfile ext -out server.pem 2>/dev/null
coproc SERVER { exec python3 "$here/tls_server.py" server.pem server.key; }
server_pid=$SERVER_PID
read -r port <&"${SERVER[0]}"
LATCHWATCH_TLS_PORT=$port LATCHWATCH_TLS_CA="$dir/latchwatch-test-ca.pem" \
LATCHWATCH_TLS_OTHER_CA="$dir/latchwatch-other-ca.pem" WINEDEBUG=-all \
  /usr/lib/wine/wine64 "$exe" --gtest_filter='WinHttpTls*'

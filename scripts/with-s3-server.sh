#!/bin/sh
# Runs a command with an S3 server (moto_server, from PyPI's moto[server]) listening on a free 127.0.0.1 port,
# exported as TRIPLICATE_TEST_S3_ENDPOINT, and stops the server afterwards, whatever the command's outcome.
set -eu
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT INT TERM
for _ in $(seq 1 100); do
	if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
	sleep 0.1
done
TRIPLICATE_TEST_S3_ENDPOINT="http://127.0.0.1:$port" "$@"

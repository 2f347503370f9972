#!/usr/bin/env bash
# Run the official RealWorld Postman collection against a live Conduit server.
#
#   bash scripts/newman.sh DATABASE_URL
#
# Migrates DATABASE_URL, serves the app on a free loopback port, runs newman, and
# always stops the server. Exits non-zero if any assertion failed. Needs the tools from
# scripts/ensure_tools.sh (.venv and .tools/npm).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DATABASE_URL" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COLLECTION="$ROOT/../shared/realworld/Conduit.postman_collection.json"
PYTHON="$ROOT/.venv/bin/python"
NEWMAN="$ROOT/.tools/npm/node_modules/.bin/newman"

for f in "$COLLECTION" "$PYTHON" "$NEWMAN"; do
    if [[ ! -e $f ]]; then
        echo "newman.sh: $f not found (run scripts/ensure_tools.sh first?)" >&2
        exit 1
    fi
done

export DATABASE_URL="$1"
export APP_ENV=test
# The collection signs up, fails logins and writes from one address at full speed: not abuse.
export RATE_LIMITS_ENABLED=false
cd "$ROOT"  # so `python -m app` finds the app even if it is not installed

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d -t conduit-newman.XXXXXX)"
SERVER_LOG="$WORK/server.log"
server_pid=""

show_log() {
    echo "---- server log: $SERVER_LOG ----" >&2
    cat "$SERVER_LOG" >&2 || true
    echo "---- end of server log ----" >&2
}

cleanup() {
    local rc=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        # Give it a few seconds for a clean shutdown, then force it.
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if ((rc == 0)); then
        rm -rf "$WORK"
    else
        show_log
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "newman.sh: migrating the database" >&2
"$PYTHON" -m app migrate >"$SERVER_LOG" 2>&1

echo "newman.sh: starting the server on $BASE" >&2
"$PYTHON" -m app serve --host 127.0.0.1 --port "$PORT" >>"$SERVER_LOG" 2>&1 &
server_pid=$!

# Wait (30 s at most) until the server gives any HTTP answer; newman judges the answer.
# The liveness check is done here in bash: bash reaps its dead child, so kill -0 fails.
probe='import sys, urllib.error, urllib.request as r
try:
    r.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass'
deadline=$((SECONDS + 30))
until "$PYTHON" -c "$probe" "$BASE/api/tags" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "newman.sh: the server exited before answering $BASE/api/tags" >&2
        exit 1
    fi
    if ((SECONDS > deadline)); then
        echo "newman.sh: no answer from $BASE/api/tags within 30 s" >&2
        exit 1
    fi
    sleep 0.2
done

# Unique per run, so reruns against the same database do not collide. USERNAME stays
# <= 20 chars: the collection also registers "celeb_" + USERNAME (limit 32).
USERNAME="u$(date +%s)$RANDOM"
"$NEWMAN" run "$COLLECTION" \
    --reporters cli \
    --global-var "APIURL=$BASE/api" \
    --global-var "USERNAME=$USERNAME" \
    --global-var "EMAIL=$USERNAME@example.com" \
    --global-var "PASSWORD=password123"

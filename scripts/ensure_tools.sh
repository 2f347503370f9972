#!/usr/bin/env bash
# Install what the tests need, idempotently; cheap to run before every test run.
#
#   bash scripts/ensure_tools.sh            # install / check everything the tests need
#   bash scripts/ensure_tools.sh --runtime  # only uv and .venv: what running the app needs
#   source scripts/ensure_tools.sh          # everything, then put .venv/bin and newman on PATH
#
# - system packages (PostgreSQL server, Node.js + npm, Chromium, Redis) via apt-get, only when missing;
#   as root they are installed, otherwise the missing ones are named and we exit 1.
# - uv (pinned) and the project's virtualenv: `uv sync --frozen` -> .venv
# - newman (pinned) from the npm registry into .tools/npm (gitignored)

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: do the work in a child bash so strict mode and `exit` stay out of the
    # caller's shell, then only extend the caller's PATH.
    _ensure_tools_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    bash "${BASH_SOURCE[0]}" "$@" || return $?
    export PATH="$_ensure_tools_root/.venv/bin:$_ensure_tools_root/.tools/npm/node_modules/.bin:$PATH"
    unset _ensure_tools_root
    return 0
fi

set -euo pipefail

UV_VERSION=0.13.9
NEWMAN_VERSION=6.2.2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { echo "ensure_tools: $*" >&2; }

runtime_only=false
[[ ${1:-} == --runtime ]] && runtime_only=true

# --- system packages (tests only) -------------------------------------------------
missing=()
if ! $runtime_only; then
    # Debian puts server binaries in /usr/lib/postgresql/<major>/bin, off PATH
    # (scripts/pg_cluster.py looks there too).
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    command -v node >/dev/null || missing+=(nodejs)
    # Only ask for Debian's npm when npm is absent: NodeSource's nodejs bundles npm and
    # conflicts with Debian's npm package.
    command -v npm >/dev/null || missing+=(npm)
    # Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    # Shared rate-limit counters are tested against a throwaway Redis (tests/api/test_rate_limits_redis.py).
    [[ -x /usr/bin/redis-server ]] || missing+=(redis-server)
    # The benchmark harness (app/bench, tests/bench) drives load with wrk.
    command -v wrk >/dev/null || missing+=(wrk)
fi

if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        log "missing system packages: ${missing[*]}"
        log "install them as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
        exit 1
    fi
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- uv and the virtualenv ----------------------------------------------------------
if command -v uv >/dev/null; then
    uv=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
    uv=(python3 -m uv)
else
    log "installing uv==$UV_VERSION"
    # --user: no root needed. PIP_BREAK_SYSTEM_PACKAGES lets this work on a Debian
    # python3 too (PEP 668); it only touches the user's site-packages.
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --user "uv==$UV_VERSION"
    # ~/.local/bin is often not on PATH, so call it through the interpreter.
    uv=(python3 -m uv)
fi
"${uv[@]}" sync --frozen

$runtime_only && exit 0

# --- newman ---------------------------------------------------------------------------
newman_pkg=.tools/npm/node_modules/newman/package.json
installed=""
[[ -f $newman_pkg ]] && installed="$(node -p "require('./$newman_pkg').version")"
if [[ $installed != "$NEWMAN_VERSION" ]]; then
    log "installing newman@$NEWMAN_VERSION into .tools/npm"
    mkdir -p .tools/npm
    npm install --prefix .tools/npm --no-audit --no-fund --loglevel=error "newman@$NEWMAN_VERSION"
fi

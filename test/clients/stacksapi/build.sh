#!/usr/bin/env bash
# Builds stacksapi-check (main.go, against github.com/buildkite/stacksapi as pinned in go.mod/go.sum) into a
# cache folder keyed by the hash of go.mod, go.sum and main.go, and prints the binary's path on the last stdout
# line. If it is already there it does nothing (a cached run needs no Go toolchain). Build chatter goes to stderr.
#
# Env: AGENTIFY_CACHE_DIR (default ~/.cache/agentify), AGENTIFY_BUILD_P (go build -p, default 1: the machine
# is usually busy with other builds, and this one is small).
set -euo pipefail
cd "$(dirname "$0")"

SUM=$(cat go.mod go.sum main.go | sha256sum | cut -c1-12)
ROOT="${AGENTIFY_CACHE_DIR:-$HOME/.cache/agentify}"
BIN="$ROOT/stacksapi-check-$SUM/stacksapi-check"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: Go not found; the stacksapi client test needs Go >= 1.24.5" >&2; exit 2; }
mkdir -p "$ROOT"
exec 9>"$ROOT/.stacksapi-check.lock"
flock 9
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

# Local toolchain only; ignore any go.work above us; never rewrite go.mod/go.sum (a missing module is fetched
# from the module proxy, checked against go.sum).
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
TMP="$(dirname "$BIN").tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
go build -p "${AGENTIFY_BUILD_P:-1}" -trimpath -ldflags "-s -w" -o "$TMP/stacksapi-check" . >&2
rm -rf "$(dirname "$BIN")"; mv "$TMP" "$(dirname "$BIN")"
echo "$BIN"

#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl from the Go modules pinned in
# go.mod/go.sum into a cache folder keyed by version, and prints that bin dir on the last stdout line.
# If the binaries are already there it does nothing (so the test harness can call it every run).
# All build chatter goes to stderr.
#
# Env: AGENTIFY_CACHE_DIR (default ~/.cache/agentify), AGENTIFY_BUILD_P (go build -p, default: cores).
set -euo pipefail
cd "$(dirname "$0")"

# Versions straight from go.mod (no `go` call, so a cached run needs no Go toolchain and costs ~0 s).
modver() { awk -v m="$1" '$1 == m && $2 ~ /^v/ {print $2; exit}' go.mod; }
KV=$(modver k8s.io/kubernetes)
EV=$(modver go.etcd.io/etcd/server/v3)
[ -n "$KV" ] && [ -n "$EV" ] || { echo "build.sh: cannot read versions from go.mod" >&2; exit 2; }
SUM=$(sha256sum go.sum | cut -c1-12)
ROOT="${AGENTIFY_CACHE_DIR:-$HOME/.cache/agentify}"
BIN="$ROOT/k8s-$KV-etcd-$EV-$SUM/bin"
TOOLS="etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"

have_all() { for t in $TOOLS; do [ -x "$BIN/$t" ] || return 1; done; }
if have_all; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: Go not found; the real-cluster tests need Go >= 1.26" >&2; exit 2; }
mkdir -p "$ROOT"
# One build at a time (e.g. two test processes starting together); the loser then finds the binaries.
exec 9>"$ROOT/.build.lock"
flock 9
if have_all; then echo "$BIN"; exit 0; fi

# local toolchain only (fail loudly instead of downloading one); ignore any go.work above us;
# static binaries like the upstream release build; never rewrite go.mod/go.sum here.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly
go mod download >&2   # the only step that may need the module proxy

# Version stamps as upstream's hack/lib/version.sh sets them, in both version packages, so
# /version reports $KV and `kubectl version` works. gitVersion must be valid semver (it is parsed).
MINOR=$(echo "$KV" | cut -d. -f2)
VER=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  VER="$VER -X $p.gitVersion=$KV -X $p.gitMajor=1 -X $p.gitMinor=$MINOR -X $p.gitCommit=module-$KV"
  VER="$VER -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

TMP="$BIN.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
# One `go build` for all of them so packages compile in parallel across binaries. -p bounds the number of
# concurrent compile/link jobs (memory); the default (= cores) peaks well below 24 GiB on 2 cores.
# With several packages, -o DIR/ names each binary after its package path's last element
# (etcd's main package is the module root go.etcd.io/etcd/server/v3, hence `server` -> renamed below).
GOPROXY=off go build -p "${AGENTIFY_BUILD_P:-$(nproc)}" -trimpath -tags selinux,notest \
  -ldflags "all=$VER -s -w" -o "$TMP/" \
  go.etcd.io/etcd/server/v3 \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kubectl >&2
mv "$TMP/server" "$TMP/etcd"
"$TMP/kube-apiserver" --version >&2
"$TMP/etcd" --version >&2
rm -rf "$BIN"; mv "$TMP" "$BIN"
echo "$BIN"

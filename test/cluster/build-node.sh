#!/usr/bin/env bash
# Builds the node's runtime from the Go modules pinned under node/: containerd, ctr and the runc
# shim (node/containerd), runc with seccomp (node/runc, cgo) and the CNI plugins bridge, host-local,
# loopback and portmap (node/cni). kubelet and kube-scheduler come from build.sh (same tools module
# as the control plane). Each piece is cached under ~/.cache/agentify by its go.sum hash, so a warm
# run costs nothing; the bin dir holding all of them is the last stdout line. Chatter goes to stderr.
#
# Env: AGENTIFY_CACHE_DIR (default ~/.cache/agentify), AGENTIFY_BUILD_P (go build -p, default: cores).
set -euo pipefail
cd "$(dirname "$0")/node"
ROOT="${AGENTIFY_CACHE_DIR:-$HOME/.cache/agentify}"
key() { cat "$1/go.mod" "$1/go.sum" ../build-node.sh | sha256sum | cut -c1-12; }
BIN="$ROOT/node-$(key containerd)-$(key runc)-$(key cni)/bin"
TOOLS="containerd ctr containerd-shim-runc-v2 runc bridge host-local loopback portmap"

have_all() { for t in $TOOLS; do [ -x "$BIN/$t" ] || return 1; done; }
if have_all; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build-node.sh: Go not found; the node tests need Go >= 1.26" >&2; exit 2; }
mkdir -p "$ROOT"
exec 9>"$ROOT/.build.lock"
flock 9
if have_all; then echo "$BIN"; exit 0; fi

# runc's seccomp support links libseccomp through cgo; CI is a fresh Debian machine running as root.
if ! pkg-config --exists libseccomp 2>/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "build-node.sh: libseccomp-dev is missing; install it (apt-get install libseccomp-dev pkg-config)" >&2; exit 2; }
  echo "build-node.sh: installing libseccomp-dev and pkg-config from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends libseccomp-dev pkg-config >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends libseccomp-dev pkg-config >&2; }
fi

export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly
P="${AGENTIFY_BUILD_P:-$(nproc)}"
TMP="$BIN.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

build() { # dir cgo tags pkg...
  local dir=$1 cgo=$2 tags=$3; shift 3
  local t0=$SECONDS
  (cd "$dir" && go mod download >&2 &&
    CGO_ENABLED=$cgo GOPROXY=off go build -p "$P" -trimpath -tags "$tags" -ldflags "-s -w" -o "$TMP/" "$@" >&2)
  echo "build-node.sh: $dir built in $((SECONDS - t0)) s" >&2
}
C=github.com/containerd/containerd/v2/cmd
build containerd 0 "no_btrfs no_devmapper no_zfs" $C/containerd $C/ctr $C/containerd-shim-runc-v2
build runc 1 seccomp github.com/opencontainers/runc
N=github.com/containernetworking/plugins/plugins
build cni 0 "" $N/main/bridge $N/ipam/host-local $N/main/loopback $N/meta/portmap

"$TMP/containerd" --version >&2
"$TMP/runc" --version >&2
rm -rf "$BIN"; mv "$TMP" "$BIN"
echo "$BIN"

#!/usr/bin/env bash
# Builds helm from its Go module (helm.sh/helm/v3, pinned in go.mod) for the chart's tests, with the
# version ldflags helm's own Makefile sets, into ~/.cache/agentify/helm-<version>-<go.sum hash>/helm;
# a warm run costs nothing. The last stdout line is the binary's path. Chatter goes to stderr.
#
# Env: AGENTIFY_CACHE_DIR (default ~/.cache/agentify), AGENTIFY_BUILD_P (go build -p, default: cores).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AGENTIFY_CACHE_DIR:-$HOME/.cache/agentify}"
VERSION=$(awk '$1 == "helm.sh/helm/v3" {print $2; exit}' go.mod)
CLIENT_GO=$(awk '$1 == "k8s.io/client-go" {print $2; exit}' go.mod)
[ -n "$VERSION" ] && [ -n "$CLIENT_GO" ] || { echo "helm/build.sh: go.mod pins no helm.sh/helm/v3 or k8s.io/client-go" >&2; exit 2; }
KEY=$(cat go.mod go.sum build.sh | sha256sum | cut -c1-12)
OUT="$ROOT/helm-$VERSION-$KEY/helm"
if [ -x "$OUT" ]; then echo "$OUT"; exit 0; fi

command -v go >/dev/null || { echo "helm/build.sh: Go not found; the chart tests need Go >= 1.26" >&2; exit 2; }
mkdir -p "$ROOT"
exec 9>"$ROOT/.build.lock"   # shared with the cluster builds: one heavy build at a time
flock 9
if [ -x "$OUT" ]; then echo "$OUT"; exit 0; fi

export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly
P="${AGENTIFY_BUILD_P:-$(nproc)}"
# client-go v0.N.x is Kubernetes 1.N: helm's default Capabilities.KubeVersion and lint rules.
K8S_MINOR=$(cut -d. -f2 <<<"$CLIENT_GO")
H=helm.sh/helm/v3
LDFLAGS="-s -w -X $H/internal/version.version=$VERSION -X $H/internal/version.gitTreeState=clean"
LDFLAGS+=" -X $H/pkg/lint/rules.k8sVersionMajor=1 -X $H/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR"
LDFLAGS+=" -X $H/pkg/chartutil.k8sVersionMajor=1 -X $H/pkg/chartutil.k8sVersionMinor=$K8S_MINOR"
TMP="$OUT.tmp.$$"
mkdir -p "$(dirname "$OUT")"
trap 'rm -f "$TMP"' EXIT
t0=$SECONDS
echo "helm/build.sh: building helm $VERSION (first time only)" >&2
go mod download >&2
CGO_ENABLED=0 GOPROXY=off go build -p "$P" -trimpath -ldflags "$LDFLAGS" -o "$TMP" $H/cmd/helm >&2
"$TMP" version --short | grep -q "^$VERSION" || { echo "helm/build.sh: the binary does not report $VERSION" >&2; exit 2; }
mv "$TMP" "$OUT"
echo "helm/build.sh: helm $VERSION built in $((SECONDS - t0)) s" >&2
echo "$OUT"

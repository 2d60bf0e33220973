#!/usr/bin/env bash
# Builds the test node's OCI images without a registry or a container engine, reproducibly (the same
# inputs give the same digests), cached under ~/.cache/agentify by their inputs:
#   localhost/agentify/pause:1                   the sandbox image (pause/, our own Go program)
#   localhost/agentify/busybox:<deb version>     a small user image (Debian's busybox-static)
#   localhost/agentify/buildkite-agent:<version> what ghcr.io/buildkite/agent:<version> is to a pod: the
#       real buildkite-agent built from its Go module (buildkite-agent/), tini and tini-static, git,
#       an ssh client, a POSIX shell, su/useradd, and the image's entrypoint (rootfs/)
# Each image is an OCI image-layout tar (one uncompressed layer) for `ctr images import`. The last
# stdout line is the folder holding them and images.env (names, files and digests). Chatter: stderr.
#
# Env: AGENTIFY_CACHE_DIR (default ~/.cache/agentify), AGENTIFY_BUILD_P (go build -p, default: cores).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT="${AGENTIFY_CACHE_DIR:-$HOME/.cache/agentify}"
P="${AGENTIFY_BUILD_P:-$(nproc)}"
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly
mkdir -p "$ROOT"
exec 9>"$ROOT/.build.lock"   # shared with the cluster builds: one heavy build at a time
flock 9
log() { echo "images/build.sh: $*" >&2; }

AGENT_VERSION=$(awk '$1 == "github.com/buildkite/agent/v3" {print substr($2, 2); exit}' "$HERE/buildkite-agent/go.mod")
[ -n "$AGENT_VERSION" ] || { log "cannot read the buildkite-agent version from buildkite-agent/go.mod"; exit 2; }

# --- Go programs, cached by their module files -------------------------------------------------
gobuild() { # dir pkg binary cgo -> prints the binary's path
  local dir=$HERE/$1 pkg=$2 name=$3 key out
  key=$(cat "$dir"/go.* "$dir"/*.go 2>/dev/null | sha256sum | cut -c1-12)
  out="$ROOT/go-$name-$key/$name"
  if [ ! -x "$out" ]; then
    command -v go >/dev/null || { log "Go not found; the node tests need Go >= 1.26"; exit 2; }
    local t0=$SECONDS tmp="$out.tmp.$$"
    mkdir -p "$(dirname "$out")"
    log "building $name (first time only)"
    (cd "$dir" && { [ ! -f go.sum ] || go mod download >&2; } &&
      CGO_ENABLED=0 GOPROXY=off go build -p "$P" -trimpath -ldflags "-s -w" -o "$tmp" "$pkg" >&2)
    mv "$tmp" "$out"
    log "$name built in $((SECONDS - t0)) s"
  fi
  echo "$out"
}
AGENT_BIN=$(gobuild buildkite-agent github.com/buildkite/agent/v3 buildkite-agent)
PAUSE_BIN=$(gobuild pause . pause)
"$AGENT_BIN" --version | grep -q "version $AGENT_VERSION" || { log "$AGENT_BIN is not version $AGENT_VERSION"; exit 2; }

# --- Debian packages: the dependency closure apt would install on an empty system, pinned --------
AGENT_PKGS="bash dash coreutils util-linux login passwd sed grep findutils mawk git openssh-client tini ca-certificates"
resolve() { # packages... -> "name=version" lines, the closure without recommends
  apt-get -q -o Dir::State::status=/dev/null -o APT::Install-Recommends=false -s install "$@" 2>/dev/null |
    awk '$1 == "Inst" {print $2 "=" substr($3, 2)}' | sort
}
if [ -z "$(resolve dash)" ]; then
  log "apt has no package lists; running apt-get update"
  apt-get update -q >&2
fi
AGENT_SET=$(resolve $AGENT_PKGS)
BUSYBOX_SET=$(resolve busybox-static)
[ -n "$AGENT_SET" ] && [ -n "$BUSYBOX_SET" ] || { log "apt could not resolve the image packages"; exit 2; }
BUSYBOX_VERSION=$(sed -n 's/^busybox-static=\(.*\)$/\1/p' <<<"$BUSYBOX_SET" | sed 's/^[0-9]*://; s/-.*//')

INPUTS=$( { echo "$AGENT_SET"; echo "$BUSYBOX_SET"; sha256sum "$AGENT_BIN" "$PAUSE_BIN";
  cat "$0"; find "$HERE/rootfs" -type f | sort | xargs cat; } | sha256sum | cut -c1-12)
OUT="$ROOT/images-$INPUTS"
if [ -f "$OUT/images.env" ]; then echo "$OUT"; exit 0; fi

DEBS="$ROOT/debs"
mkdir -p "$DEBS"
fetch_debs() { # name=version lines on stdin; downloads what the cache lacks
  local missing=()
  while read -r pv; do
    ls "$DEBS/${pv%%=*}_"*"$(sed 's/^[0-9]*://' <<<"${pv#*=}")_"*.deb >/dev/null 2>&1 || missing+=("$pv")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "downloading ${#missing[@]} Debian packages"
    (cd "$DEBS" && apt-get download -q "${missing[@]}" 2>&1 | grep -v 'unsandboxed' >&2 || true)
  fi
}
fetch_debs <<<"$AGENT_SET"
fetch_debs <<<"$BUSYBOX_SET"

TMP="$OUT.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

# A deterministic tar: sorted names, zero times, root owner, no pax times.
dtar() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf "$2" .; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# oci name tag rootfs config-json-of-"config" -> $TMP/<name>.tar, and a line in images.env
oci() {
  local var=$1 ref=$2 rootfs=$3 config=$4 lay="$TMP/layout-$1"
  mkdir -p "$lay/blobs/sha256"
  dtar "$rootfs" "$lay/layer.tar"
  local ld; ld=$(sha "$lay/layer.tar")
  local lsz; lsz=$(stat -c %s "$lay/layer.tar")
  mv "$lay/layer.tar" "$lay/blobs/sha256/$ld"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$config" "$ld" > "$lay/config.json"
  local cd; cd=$(sha "$lay/config.json"); local csz; csz=$(stat -c %s "$lay/config.json")
  mv "$lay/config.json" "$lay/blobs/sha256/$cd"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cd" "$csz" "$ld" "$lsz" > "$lay/manifest.json"
  local md; md=$(sha "$lay/manifest.json"); local msz; msz=$(stat -c %s "$lay/manifest.json")
  mv "$lay/manifest.json" "$lay/blobs/sha256/$md"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$md" "$msz" "$ref" "${ref##*:}" > "$lay/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$lay/oci-layout"
  dtar "$lay" "$TMP/$var.tar"
  rm -rf "$lay"
  printf '%s_IMAGE=%s\n%s_TAR=%s\n%s_DIGEST=sha256:%s\n' "${var^^}" "$ref" "${var^^}" "$OUT/$var.tar" "${var^^}" "$md" >> "$TMP/images.env"
  log "$ref: sha256:$md ($(( $(stat -c %s "$TMP/$var.tar") / 1048576 )) MiB)"
}

# Unpacks .debs into a merged-/usr root (as Debian 12 installs them), without maintainer scripts.
unpack() { # rootfs; name=version lines on stdin
  local r=$1
  mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/usr/lib" "$r/usr/lib64"
  for d in bin sbin lib lib64; do ln -sfn "usr/$d" "$r/$d"; done
  while read -r pv; do
    local f; f=$(ls "$DEBS/${pv%%=*}_"*"$(sed 's/^[0-9]*://' <<<"${pv#*=}")_"*.deb | head -1)
    dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$r"
  done
}

# pause
mkdir -p "$TMP/pause-root"
install -m 0755 "$PAUSE_BIN" "$TMP/pause-root/pause"
oci pause localhost/agentify/pause:1 "$TMP/pause-root" '{"Entrypoint":["/pause"],"User":"65535:65535"}'

# busybox: the static binary and a link per applet
unpack "$TMP/busybox-root" <<<"$BUSYBOX_SET"
BB="$TMP/busybox-root/usr/bin/busybox"
for a in $("$BB" --list); do [ -e "$TMP/busybox-root/usr/bin/$a" ] || ln -s busybox "$TMP/busybox-root/usr/bin/$a"; done
mkdir -p "$TMP/busybox-root/etc" "$TMP/busybox-root/tmp" && chmod 1777 "$TMP/busybox-root/tmp"
cp "$HERE/rootfs/etc/passwd" "$HERE/rootfs/etc/group" "$TMP/busybox-root/etc/"
rm -rf "$TMP/busybox-root/usr/share"
oci busybox "localhost/agentify/busybox:$BUSYBOX_VERSION" "$TMP/busybox-root" \
  '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}'

# buildkite-agent
A="$TMP/agent-root"
unpack "$A" <<<"$AGENT_SET"
cp -a "$HERE/rootfs/." "$A/"
install -m 0755 "$AGENT_BIN" "$A/usr/local/bin/buildkite-agent"
ln -sfn /usr/bin/tini "$A/usr/sbin/tini"
ln -sfn mawk "$A/usr/bin/awk"
mkdir -p "$A/tmp" "$A/buildkite/builds" "$A/buildkite/hooks" "$A/buildkite/plugins" "$A/root"
chmod 1777 "$A/tmp"
chmod 0600 "$A/etc/shadow" "$A/etc/gshadow"
ldconfig -r "$A" 2>/dev/null || true
rm -rf "$A/usr/share/doc" "$A/usr/share/man" "$A/usr/share/info" "$A/usr/share/locale" "$A/var/cache/"* "$A/var/lib/apt"
oci agent "localhost/agentify/buildkite-agent:$AGENT_VERSION" "$A" \
  '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","BUILDKITE_AGENT_CONFIG=/buildkite/buildkite-agent.cfg"],"Entrypoint":["buildkite-agent-entrypoint"],"Cmd":["start"]}'

echo "AGENT_BIN=$AGENT_BIN" >> "$TMP/images.env"
rm -rf "$OUT"; mv "$TMP" "$OUT"
echo "$OUT"

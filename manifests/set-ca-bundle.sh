#!/bin/sh
# Puts the CA of an `agentify certs generate` directory into the local-ca overlay:
#   manifests/set-ca-bundle.sh CERT_DIR
# AGENTIFY overrides how the CLI is run (default: bin/agentify.ts from this checkout, with
# the project's own Node 24 from node_modules/.bin when installed).
set -eu
if [ "$#" -ne 1 ]; then
  echo "usage: $0 CERT_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
node=node
if [ -x "$here/../node_modules/.bin/node" ]; then node="$here/../node_modules/.bin/node"; fi
if [ -n "${AGENTIFY:-}" ]; then
  # Word splitting is intended: a command plus its arguments.
  # shellcheck disable=SC2086
  bundle=$($AGENTIFY certs ca-bundle --out-dir "$1")
else
  bundle=$("$node" "$here/../bin/agentify.ts" certs ca-bundle --out-dir "$1")
fi
patch="$here/overlays/local-ca/ca-bundle.patch.yaml"
cat > "$patch.tmp" <<PATCH
# Written by manifests/set-ca-bundle.sh from $1/ca.crt.
- op: add
  path: /webhooks/0/clientConfig/caBundle
  value: $bundle
PATCH
mv "$patch.tmp" "$patch"
echo "wrote $patch"

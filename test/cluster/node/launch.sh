#!/usr/bin/env bash
# Runs the test node: containerd, then kubelet, inside a private mount namespace of their own.
# Usage: launch.sh <node dir>   (settings in <node dir>/launch.env, written by node.ts)
#
# First it joins the run's pids cgroup, so every process the node starts (shims, sandboxes,
# containers) can be found and killed by clean-up. Then it re-executes itself under
# `unshare --mount --propagation private`, where it binds the run's own dirs over the paths the
# kubelet and containerd hard-code (/var/lib, /var/log, /run) and files holding the kubelet's wanted
# values over the host-wide sysctls it would otherwise rewrite. None of these mounts, nor any mount
# containerd makes for containers, is visible outside, and all vanish with the namespace.
set -euo pipefail
DIR=$1
# shellcheck source=/dev/null
. "$DIR/launch.env"   # NODE_BIN K8S_BIN PROCS_FILE SYSCTLS KUBELET_ARGS

if [ -z "${AGENTIFY_NODE_IN_NS:-}" ]; then
  echo $$ > "$PROCS_FILE"
  AGENTIFY_NODE_IN_NS=1 exec unshare --mount --propagation private -- bash "$0" "$@"
fi

for d in var-lib var-log run; do mkdir -p "$DIR/$d"; done
mount --bind "$DIR/var-lib" /var/lib
mount --bind "$DIR/var-log" /var/log
mount --bind "$DIR/run" /run
for s in $SYSCTLS; do mount --bind "$DIR/sysctl/${s//\//.}" "/proc/sys/$s"; done

export PATH="$NODE_BIN:$PATH"
"$NODE_BIN/containerd" --config "$DIR/containerd.toml" >>"$DIR/logs/containerd.log" 2>&1 &
CONTAINERD=$!
KUBELET=""
stop() {
  local rc=${1:-0}
  trap - TERM INT
  [ -z "$KUBELET" ] || kill -TERM "$KUBELET" 2>/dev/null || true
  kill -TERM "$CONTAINERD" 2>/dev/null || true
  wait || true
  exit "$rc"
}
trap stop TERM INT

for _ in $(seq 1 300); do
  [ -S "$DIR/run/containerd/containerd.sock" ] && break
  kill -0 "$CONTAINERD" 2>/dev/null || { echo "launch.sh: containerd exited at start (see containerd.log)"; exit 1; }
  sleep 0.1
done
[ -S "$DIR/run/containerd/containerd.sock" ] || { echo "launch.sh: containerd socket did not appear in 30 s"; exit 1; }
echo "launch.sh: containerd up"

# shellcheck disable=SC2086
"$K8S_BIN/kubelet" $KUBELET_ARGS >>"$DIR/logs/kubelet.log" 2>&1 &
KUBELET=$!
echo "launch.sh: kubelet started"

set +e
wait -n "$CONTAINERD" "$KUBELET"
code=$?
echo "launch.sh: a node daemon exited with code $code; stopping the other"
stop 1

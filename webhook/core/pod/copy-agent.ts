// `copy-agent`: the first init container. It copies buildkite-agent and tini-static into the
// shared workspace so that any user image can run `kubernetes-bootstrap`.
import type { Config } from "../config/index.ts";
import type { Container, VolumeMount } from "../k8s.ts";
import { COPY_AGENT_CONTAINER } from "../names.ts";
import { agentImagePullPolicy } from "./image-policy.ts";

const DIRS = "/workspace/build /workspace/plugins /workspace/sockets";

/** The script; `owner` ("uid" or "uid:gid") makes the workspace the pod user's first. */
export function copyAgentScript(owner: string | undefined): string {
  return [
    ...(owner ? [`chown -R ${owner} /workspace`] : []),
    // -p: a reused volume may already hold these dirs (upstream's plain mkdir fails there).
    `mkdir -p ${DIRS}`,
    `chmod 777 ${DIRS}`,
    "cp /usr/local/bin/buildkite-agent /workspace",
    "if [ -e /sbin/tini-static ]; then cp /sbin/tini-static /workspace/tini-static; " +
      "elif [ -e /usr/bin/tini-static ]; then cp /usr/bin/tini-static /workspace/tini-static; " +
      'else echo "Error: No tini-static binary found" >&2; exit 1; fi',
  ].join("\n");
}

export function buildCopyAgentContainer(config: Config, workspaceMount: VolumeMount): Container {
  return {
    name: COPY_AGENT_CONTAINER,
    image: config.image,
    imagePullPolicy: agentImagePullPolicy(config),
    command: ["/bin/sh"],
    args: ["-cefx", copyAgentScript(undefined)],
    volumeMounts: [{ ...workspaceMount }],
  };
}

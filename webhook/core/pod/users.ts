// Non-root pods, decided after every patch (so a runAsUser set by a patch counts; upstream
// agent-stack-k8s issue #326 reads it before patches). Two strategies:
// - chown (agent-stack-k8s): copy-agent and checkout run as root to chown the workspace and
//   create the user, then checkout drops to it with `su`;
// - fs-group: nothing runs as root; the pod's fsGroup makes the workspace writable, and the
//   containers agentify adds get what Pod Security "restricted" asks of every container.
// Either way each container that runs as a non-root user gets HOME=/workspace (below).
import type { Config } from "../config/index.ts";
import type { Container, PodSpec } from "../k8s.ts";
import { AGENT_CONTAINER, CHECKOUT_CONTAINER, COPY_AGENT_CONTAINER, WORKSPACE_PATH } from "../names.ts";
import { gitConfigCommand } from "./checkout.ts";
import { isBootstrapContainer } from "./command.ts";
import { copyAgentScript } from "./copy-agent.ts";
import { hasEnv, setEnvValue } from "../container-edit.ts";

const ROOT = { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false };
/** What Pod Security "restricted" requires of each container that the pod level cannot give. */
export const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const SYSTEM_CONTAINERS = new Set([COPY_AGENT_CONTAINER, AGENT_CONTAINER, CHECKOUT_CONTAINER]);

/** Whether the containers agentify adds get RESTRICTED_CONTAINER (image checks are added later). */
export function restrictsSystemContainers(spec: PodSpec, config: Config): boolean {
  const uid = spec.securityContext?.runAsUser;
  return typeof uid === "number" && uid !== 0 && config["non-root-workspace"] === "fs-group";
}
const ENTRYPOINT = "buildkite-agent-entrypoint kubernetes-bootstrap";

export function finalizeUsers(spec: PodSpec, config: Config): void {
  const uid = spec.securityContext?.runAsUser;
  const gid = spec.securityContext?.runAsGroup ?? 0;
  const nonRoot = typeof uid === "number" && uid !== 0;
  const chown = nonRoot && config["non-root-workspace"] === "chown";
  if (nonRoot && !chown) {
    spec.securityContext = {
      ...spec.securityContext,
      fsGroup: spec.securityContext?.fsGroup ?? (gid || uid),
      runAsNonRoot: spec.securityContext?.runAsNonRoot ?? true,
      seccompProfile: spec.securityContext?.seccompProfile ?? { type: "RuntimeDefault" },
    };
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if (SYSTEM_CONTAINERS.has(c.name)) c.securityContext = { ...RESTRICTED_CONTAINER, ...c.securityContext };
    }
  }
  const copyAgent = spec.initContainers?.find((c) => c.name === COPY_AGENT_CONTAINER);
  if (copyAgent) {
    copyAgent.args = ["-cefx", copyAgentScript(chown ? (gid ? `${uid}:${gid}` : `${uid}`) : undefined)];
    if (chown) copyAgent.securityContext = { ...copyAgent.securityContext, ...ROOT };
  }
  const checkout = spec.containers.find((c) => c.name === CHECKOUT_CONTAINER);
  if (checkout) {
    const git = gitConfigCommand(checkout);
    if (chown) {
      checkout.args = [["set -exuf", createUserScript(uid, gid), `su buildkite-agent -c "${git} && ${ENTRYPOINT}"`].join("\n")];
      checkout.securityContext = { ...checkout.securityContext, ...ROOT };
    } else {
      checkout.args = [["set -exuf", git, ENTRYPOINT].join("\n")];
    }
  }
  for (const c of spec.containers) {
    // In chown mode checkout starts as root and `su`s to the pod's user, whose home is the same.
    const runsAsUser = (c === checkout && chown) || nonRootContainer(c, uid);
    if (runsAsUser && (c === checkout || c.name === AGENT_CONTAINER || isBootstrapContainer(c))) giveHome(c);
  }
}

function nonRootContainer(c: Container, podUid: number | undefined): boolean {
  const uid: unknown = c.securityContext?.["runAsUser"] ?? podUid;
  return typeof uid === "number" && uid !== 0;
}

/**
 * A uid without a passwd entry gets HOME=/ from the runtime, where nothing may be written: the
 * agent image's entrypoint (`mkdir -p ~/.ssh`) fails there and the agent never starts; git and
 * most tools write to HOME too. The workspace root is on a volume, so it is writable under a
 * read-only root filesystem and Pod Security "restricted": copy-agent chowns it to the user, or
 * the pod's fsGroup shares it. A HOME the Job sets itself is kept.
 */
function giveHome(c: Container): void {
  if (!hasEnv(c, "HOME")) setEnvValue(c, "HOME", WORKSPACE_PATH);
}

/** Creates user `buildkite-agent` with the pod's uid (BusyBox or shadow-utils tools). */
function createUserScript(uid: number, gid: number): string {
  const group = gid ? "buildkite-agent" : "root";
  const lines: string[] = [];
  if (gid) {
    lines.push(
      `if command -v groupadd >/dev/null 2>&1; then groupadd -g ${gid} buildkite-agent; else addgroup -g ${gid} buildkite-agent; fi`,
    );
  }
  lines.push(
    `if command -v useradd >/dev/null 2>&1; then useradd -M -u ${uid} -g ${group} -d /workspace -s /bin/sh buildkite-agent; ` +
      `else adduser -D -u ${uid} -G ${group} -h /workspace buildkite-agent; fi`,
  );
  return lines.join("\n");
}


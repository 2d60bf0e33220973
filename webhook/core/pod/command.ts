// Command containers: the user's containers, rewritten to run `kubernetes-bootstrap` under tini
// with their command moved into BUILDKITE_COMMAND (agent-stack-k8s's `container-N`).
import type { AgentConfig } from "../config/index.ts";
import type { CommandParams, Interposer } from "../config/params.ts";
import type { Container, EnvFromSource, EnvVar, VolumeMount } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { addEnvFrom, addMounts, kubeletLiteral, removeEnv } from "../container-edit.ts";
import { interpose } from "../interposer.ts";
import { BOOTSTRAP_ARGS, TINI_COMMAND, WORKSPACE_PATH } from "../names.ts";
import { applyAgentConfigToCommand } from "./agent-config.ts";

/** Env agentify owns on bootstrap containers; a value the Job gives is replaced. */
const BOOTSTRAP_ENV = new Set(["BUILDKITE_BOOTSTRAP_PHASES", "BUILDKITE_CONTAINER_ID", "BUILDKITE_SOCKETS_PATH"]);
const BOOTSTRAP_ENV_AND_COMMAND = new Set([...BOOTSTRAP_ENV, "BUILDKITE_COMMAND"]);

export interface CommandContext {
  firstId: number;
  interposer: Interposer | undefined;
  agentConfig: AgentConfig | undefined;
  commandParams: readonly (CommandParams | undefined)[];
  sharedMounts: readonly VolumeMount[];
  gitEnvFrom: readonly EnvFromSource[] | undefined;
}

/**
 * The BUILDKITE_COMMAND entry of a container without `command`: the step's command, empty for a
 * step of plugins only (their command hook runs). Like any env value in the Job it means what the
 * kubelet makes of it; it stays in its place, so its `$(NAME)` references keep their meaning.
 */
function commandEntry(container: Container, index: number): EnvVar {
  const name = container.name || `container-${index}`;
  // The last entry of a name is the one the kubelet uses.
  const entry = container.env?.findLast((e) => e.name === "BUILDKITE_COMMAND");
  if (!entry) {
    throw new AgentifyError(
      "missing-command",
      `container "${name}" has neither a command nor a BUILDKITE_COMMAND env entry; set one so the agent knows what to run ` +
        "(an empty BUILDKITE_COMMAND runs the step's plugins only)",
    );
  }
  if (entry.valueFrom !== undefined) {
    throw new AgentifyError("missing-command", `container "${name}": BUILDKITE_COMMAND must be a literal value, not valueFrom: the command must be in the Job`);
  }
  return entry;
}

export function isBootstrapContainer(container: Container): boolean {
  return sameStrings(container.command, TINI_COMMAND) && sameStrings(container.args, BOOTSTRAP_ARGS);
}

export function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Rewrites `container` in place (the caller owns it: a copy of the bare Job) and returns it. */
export function buildCommandContainer(container: Container, index: number, ctx: CommandContext): Container {
  const hasCommand = container.command !== undefined && container.command.length > 0;
  // A script made from command and args reaches the shell as written: escaped for the kubelet.
  const script = hasCommand ? kubeletLiteral(interpose(ctx.interposer, container.command ?? [], container.args)) : undefined;
  // The apiserver drops an empty `value`; say it.
  if (script === undefined) commandEntry(container, index).value ??= "";
  container.name = container.name || `container-${index}`;
  container.command = [...TINI_COMMAND];
  container.args = [...BOOTSTRAP_ARGS];
  removeEnv(container, script === undefined ? BOOTSTRAP_ENV : BOOTSTRAP_ENV_AND_COMMAND);
  (container.env ??= []).push(
    { name: "BUILDKITE_BOOTSTRAP_PHASES", value: "plugin,command" },
    ...(script === undefined ? [] : [{ name: "BUILDKITE_COMMAND", value: script }]),
    { name: "BUILDKITE_CONTAINER_ID", value: String(index + ctx.firstId) },
  );
  applyAgentConfigToCommand(container, ctx.agentConfig);
  for (const params of ctx.commandParams) {
    addEnvFrom(container, params?.envFrom);
    addMounts(container, params?.extraVolumeMounts);
  }
  container.workingDir = container.workingDir || WORKSPACE_PATH;
  // Each container needs its own sockets dir: the Job API socket dir is created 0700.
  container.env.push({ name: "BUILDKITE_SOCKETS_PATH", value: `/workspace/sockets/${container.name}` });
  addMounts(container, ctx.sharedMounts);
  addEnvFrom(container, ctx.gitEnvFrom);
  return container;
}

// Command containers: the user's containers, rewritten to run `kubernetes-bootstrap` under tini
// with their command moved into BUILDKITE_COMMAND (agent-stack-k8s's `container-N`).
import type { AgentConfig } from "../config/index.ts";
import type { CommandParams, Interposer } from "../config/params.ts";
import type { Container, EnvFromSource, VolumeMount } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { addEnvFrom, addMounts, envValue, removeEnv } from "../container-edit.ts";
import { interpose } from "../interposer.ts";
import { BOOTSTRAP_ARGS, TINI_COMMAND, WORKSPACE_PATH } from "../names.ts";
import { applyAgentConfigToCommand } from "./agent-config.ts";

/** Env the webhook owns on bootstrap containers; any user value is replaced. */
const BOOTSTRAP_ENV = new Set(["BUILDKITE_BOOTSTRAP_PHASES", "BUILDKITE_COMMAND", "BUILDKITE_CONTAINER_ID", "BUILDKITE_SOCKETS_PATH"]);

export interface CommandContext {
  firstId: number;
  interposer: Interposer | undefined;
  agentConfig: AgentConfig | undefined;
  commandParams: readonly (CommandParams | undefined)[];
  sharedMounts: readonly VolumeMount[];
  gitEnvFrom: readonly EnvFromSource[] | undefined;
}

function commandScript(container: Container, index: number, interposer: Interposer | undefined): string {
  if (container.command && container.command.length > 0) return interpose(interposer, container.command, container.args);
  const fromEnv = envValue(container, "BUILDKITE_COMMAND");
  if (fromEnv === undefined || fromEnv === "") {
    const name = container.name || `container-${index}`;
    throw new AgentifyError(
      "missing-command",
      `container "${name}" has neither a command nor a BUILDKITE_COMMAND env value; set one so the agent knows what to run`,
    );
  }
  return fromEnv;
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
  const script = commandScript(container, index, ctx.interposer);
  container.name = container.name || `container-${index}`;
  container.command = [...TINI_COMMAND];
  container.args = [...BOOTSTRAP_ARGS];
  removeEnv(container, BOOTSTRAP_ENV);
  (container.env ??= []).push(
    { name: "BUILDKITE_BOOTSTRAP_PHASES", value: "plugin,command" },
    { name: "BUILDKITE_COMMAND", value: script },
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

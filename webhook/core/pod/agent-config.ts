// `agent-config`: settings passed to buildkite-agent as env on the agent container, and the
// hooks, plugins and JWKS volumes mounted where the agent and the bootstraps look for them.
import type { AgentConfig } from "../config/index.ts";
import type { Container, Volume, VolumeMount } from "../k8s.ts";
import { addMounts, setEnvValue } from "../container-edit.ts";
import { formatDurationSeconds } from "../config/duration.ts";
import { jwksLocation, SIGNING_JWKS, VERIFICATION_JWKS } from "../config/jwks.ts";
import { cloneJson } from "../json.ts";

const DEFAULT_HOOKS_PATH = "/workspace/hooks";
const DEFAULT_PLUGINS_PATH = "/workspace/plugins";

export function agentConfigVolumes(ac: AgentConfig | undefined): Volume[] {
  if (!ac) return [];
  const volumes: (Volume | undefined)[] = [
    ac.hooksVolume,
    ...(ac["additional-hooks"] ?? []).map((h) => h.volume),
    ac.pluginsVolume,
    ac.signingJWKSVolume,
    ac.verificationJWKSVolume,
  ];
  return volumes.filter((v): v is Volume => v !== undefined).map((v) => cloneJson(v));
}

function hookAndPluginMounts(ac: AgentConfig): VolumeMount[] {
  const mounts: VolumeMount[] = [];
  if (ac.hooksVolume) mounts.push({ name: ac.hooksVolume.name, mountPath: ac["hooks-path"] ?? DEFAULT_HOOKS_PATH });
  for (const hook of ac["additional-hooks"] ?? []) mounts.push({ name: hook.volume.name, mountPath: hook.path });
  if (ac.pluginsVolume) mounts.push({ name: ac.pluginsVolume.name, mountPath: ac["plugins-path"] ?? DEFAULT_PLUGINS_PATH });
  return mounts;
}

function signingMount(ac: AgentConfig): VolumeMount[] {
  if (!ac.signingJWKSVolume) return [];
  return [{ name: ac.signingJWKSVolume.name, mountPath: jwksLocation(ac["signing-jwks-file"], SIGNING_JWKS).mountDir }];
}

export function applyAgentConfigToCommand(container: Container, ac: AgentConfig | undefined): void {
  if (!ac) return;
  addMounts(container, [...hookAndPluginMounts(ac), ...signingMount(ac)]);
}

export function applyAgentConfigToCheckout(container: Container, ac: AgentConfig | undefined): void {
  if (!ac) return;
  addMounts(container, hookAndPluginMounts(ac));
}

const BOOLEAN_ENV: [keyof AgentConfig, string][] = [
  ["no-http2", "BUILDKITE_NO_HTTP2"],
  ["no-color", "BUILDKITE_AGENT_NO_COLOR"],
  ["strict-single-hooks", "BUILDKITE_STRICT_SINGLE_HOOKS"],
  ["no-multipart-artifact-upload", "BUILDKITE_NO_MULTIPART_ARTIFACT_UPLOAD"],
  ["tracing-propagate-traceparent", "BUILDKITE_TRACING_PROPAGATE_TRACEPARENT"],
  ["debug-signing", "BUILDKITE_AGENT_DEBUG_SIGNING"],
  ["git-skip-fetch-existing-commits", "BUILDKITE_GIT_SKIP_FETCH_EXISTING_COMMITS"],
  ["no-pty", "BUILDKITE_NO_PTY"],
  ["no-command-eval", "BUILDKITE_NO_COMMAND_EVAL"],
  ["no-local-hooks", "BUILDKITE_NO_LOCAL_HOOKS"],
  ["no-plugins", "BUILDKITE_NO_PLUGINS"],
];

const STRING_ENV: [keyof AgentConfig, string][] = [
  ["endpoint", "BUILDKITE_AGENT_ENDPOINT"],
  ["shell", "BUILDKITE_SHELL"],
  ["trace-context-encoding", "BUILDKITE_TRACE_CONTEXT_ENCODING"],
  ["tracing-backend", "BUILDKITE_TRACING_BACKEND"],
  ["tracing-service-name", "BUILDKITE_TRACING_SERVICE_NAME"],
];

/** Env and mounts on the agent container; each setting overwrites a default of the same name. */
export function applyAgentConfigToAgent(agent: Container, ac: AgentConfig | undefined): void {
  if (!ac) return;
  for (const [key, env] of STRING_ENV) {
    const value = ac[key];
    if (typeof value === "string") setEnvValue(agent, env, value);
  }
  for (const [key, env] of BOOLEAN_ENV) {
    const value = ac[key];
    if (typeof value === "boolean") setEnvValue(agent, env, String(value));
  }
  if (ac.experiment?.length) setEnvValue(agent, "BUILDKITE_AGENT_EXPERIMENT", ac.experiment.join(","));
  if (ac["disable-warnings-for"]?.length) {
    setEnvValue(agent, "BUILDKITE_AGENT_DISABLE_WARNINGS_FOR", ac["disable-warnings-for"].join(","));
  }
  const startTimeout = ac["container-start-timeout"];
  if (startTimeout) setEnvValue(agent, "BUILDKITE_KUBERNETES_CONTAINER_START_TIMEOUT", formatDurationSeconds(startTimeout));
  if (ac.hooksVolume || ac["hooks-path"]) setEnvValue(agent, "BUILDKITE_HOOKS_PATH", ac["hooks-path"] ?? DEFAULT_HOOKS_PATH);
  const extraHookPaths = [...(ac["additional-hooks-paths"] ?? []), ...(ac["additional-hooks"] ?? []).map((h) => h.path)];
  if (extraHookPaths.length) setEnvValue(agent, "BUILDKITE_ADDITIONAL_HOOKS_PATHS", extraHookPaths.join(","));
  if (ac.pluginsVolume || ac["plugins-path"]) setEnvValue(agent, "BUILDKITE_PLUGINS_PATH", ac["plugins-path"] ?? DEFAULT_PLUGINS_PATH);
  if (ac["plugin-validation"] !== undefined) setEnvValue(agent, "BUILDKITE_NO_PLUGIN_VALIDATION", String(!ac["plugin-validation"]));
  addMounts(agent, hookAndPluginMounts(ac));
  applySigning(agent, ac);
}

function applySigning(agent: Container, ac: AgentConfig): void {
  if (ac.signingJWKSVolume || ac["signing-jwks-file"]) {
    addMounts(agent, signingMount(ac));
    setEnvValue(agent, "BUILDKITE_AGENT_SIGNING_JWKS_FILE", jwksLocation(ac["signing-jwks-file"], SIGNING_JWKS).file);
  }
  if (ac["signing-jwks-key-id"]) setEnvValue(agent, "BUILDKITE_AGENT_SIGNING_JWKS_KEY_ID", ac["signing-jwks-key-id"]);
  const verifies = Boolean(ac.verificationJWKSVolume || ac["verification-jwks-file"]);
  if (verifies) {
    const { file, mountDir } = jwksLocation(ac["verification-jwks-file"], VERIFICATION_JWKS);
    if (ac.verificationJWKSVolume) addMounts(agent, [{ name: ac.verificationJWKSVolume.name, mountPath: mountDir }]);
    setEnvValue(agent, "BUILDKITE_AGENT_VERIFICATION_JWKS_FILE", file);
  }
  // The agent blocks unsigned jobs by default; with no verification key that would fail every job.
  const behavior = ac["verification-failure-behavior"] ?? (verifies ? undefined : "warn");
  if (behavior) setEnvValue(agent, "BUILDKITE_AGENT_JOB_VERIFICATION_NO_SIGNATURE_BEHAVIOR", behavior);
}

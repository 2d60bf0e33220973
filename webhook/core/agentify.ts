// agentify(job, config) → job: the bare Job in, the Job whose pod runs buildkite-agent in
// Kubernetes mode out. Pure: no I/O, no clock; the same input always gives the same bytes.
// The steps follow agent-stack-k8s's Build, except where noted (users and image checks are
// decided after patches, the container count is taken last).
import type { Config } from "./config/index.ts";
import type { Interposer } from "./config/params.ts";
import type { PodSpec, VolumeMount } from "./k8s.ts";
import { AgentifyError, type DenialReason } from "./errors.ts";
import type { JsonObject } from "./json.ts";
import { dedupeEnv, dedupeMounts, hasEnv } from "./container-edit.ts";
import {
  AGENT_QUERY_RULES_ANNOTATION, AGENTIFIED_ANNOTATION, CHECKOUT_CONTAINER, PLUGIN_ANNOTATION, STEP_IMAGE_ANNOTATION,
  STEP_PULL_POLICIES_ANNOTATION, WORKSPACE_PATH,
} from "./names.ts";
import { jobUuidLabel, readBareJob } from "./job/bare-job.ts";
import { annotateSidecars, applyJobMetadata, copyMetadataToPod } from "./job/metadata.ts";
import { statusAnnotation } from "./job/status.ts";
import { jobTags } from "./job/tags.ts";
import { parsePluginAnnotation, type KubernetesPlugin } from "./plugin/parse.ts";
import { buildAgentContainer } from "./pod/agent.ts";
import { agentConfigVolumes } from "./pod/agent-config.ts";
import { buildCheckoutContainer } from "./pod/checkout.ts";
import { buildCommandContainer } from "./pod/command.ts";
import { buildCopyAgentContainer } from "./pod/copy-agent.ts";
import { applyStepPullPolicies } from "./pod/image-policy.ts";
import { addImageChecks, validateImages } from "./pod/imagecheck.ts";
import { applyPodSpecPatch } from "./pod/pod-spec-patch.ts";
import { applyResourceClass } from "./pod/resource-class.ts";
import { buildSidecars } from "./pod/sidecars.ts";
import { finalizeUsers, restrictsSystemContainers, RESTRICTED_CONTAINER } from "./pod/users.ts";
import { finalizeContainerCount, finalizeGracePeriods, verifyUniqueNames } from "./pod/verify.ts";
import { cloneJson } from "./json.ts";

export type AgentifyOutcome =
  | { result: "agentified"; job: JsonObject; jobUuid: string }
  | { result: "unchanged"; reason: "not-labelled" | "already-agentified" }
  | { result: "denied"; reason: DenialReason; message: string; jobUuid?: string };

/** Never throws: the webhook's entry point. */
export function tryAgentify(input: JsonObject, config: Config): AgentifyOutcome {
  const uuid = jobUuidLabel(input);
  if (uuid === undefined) return { result: "unchanged", reason: "not-labelled" };
  if (isAgentified(input)) return { result: "unchanged", reason: "already-agentified" };
  try {
    return { result: "agentified", job: buildAgentifiedJob(input, config, uuid), jobUuid: uuid };
  } catch (err) {
    if (err instanceof AgentifyError) return { result: "denied", reason: err.reason, message: err.message, jobUuid: uuid };
    throw err;
  }
}

/** Throws AgentifyError on invalid input; unlabelled and already agentified Jobs come back unchanged. */
export function agentify(input: JsonObject, config: Config): JsonObject {
  const uuid = jobUuidLabel(input);
  if (uuid === undefined || isAgentified(input)) return cloneJson(input);
  return buildAgentifiedJob(input, config, uuid);
}

function isAgentified(input: JsonObject): boolean {
  const annotations = (input.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  return typeof annotations?.[AGENTIFIED_ANNOTATION] === "string";
}

function buildAgentifiedJob(input: JsonObject, config: Config, uuid: string): JsonObject {
  const job = readBareJob(input, uuid);
  const annotations = job.metadata.annotations ?? {};
  const plugin = parsePluginAnnotation(annotations[PLUGIN_ANNOTATION]);
  const tags = jobTags(annotations[AGENT_QUERY_RULES_ANNOTATION], config);
  const skipCheckout = plugin.checkout?.skip ?? config["default-checkout-params"]?.skip ?? false;
  const interposer = plugin.commandParams?.interposer || config["default-command-params"]?.interposer || undefined;
  applyJobMetadata(job, config, plugin, tags, uuid);

  const bare = job.spec.template.spec;
  applyStepPullPolicies(bare.containers, annotations[STEP_PULL_POLICIES_ANNOTATION]);
  const workspaceMount = addWorkspace(bare, config);
  bare.volumes = [...(bare.volumes ?? []), ...agentConfigVolumes(config["agent-config"])];
  let spec = buildPod(bare, config, plugin, { uuid, tags: tags.rules, workspaceMount, skipCheckout, interposer });
  applyResourceClass(spec, config, tags.map);

  const allowCommandChanges = config["allow-pod-spec-patch-unsafe-command-modification"];
  const controllerPatch = config["pod-spec-patch"];
  if (controllerPatch) spec = applyPodSpecPatch(spec, controllerPatch, { source: "pod-spec-patch", interposer, allowCommandChanges });
  const stepImage = annotations[STEP_IMAGE_ANNOTATION];
  if (stepImage) for (const c of spec.containers) if (hasEnv(c, "BUILDKITE_COMMAND")) c.image = stepImage;
  if (plugin.podSpecPatch) spec = applyPodSpecPatch(spec, plugin.podSpecPatch, { source: "podSpecPatch", interposer, allowCommandChanges });
  if (skipCheckout) spec.containers = spec.containers.filter((c) => c.name !== CHECKOUT_CONTAINER);

  finalizeUsers(spec, config);
  validateImages(spec);
  addImageChecks(spec, config, workspaceMount, restrictsSystemContainers(spec, config) ? RESTRICTED_CONTAINER : undefined);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    dedupeMounts(c);
    dedupeEnv(c);
  }
  verifyUniqueNames(spec);
  finalizeGracePeriods(spec, config["default-termination-grace-period-seconds"]);
  finalizeContainerCount(spec, uuid);

  job.spec.template.spec = spec;
  annotateSidecars(job, (plugin.sidecars ?? []).map((s, i) => s.name || `sidecar-${i}`));
  copyMetadataToPod(job);
  (job.metadata.annotations ??= {})[AGENTIFIED_ANNOTATION] = statusAnnotation(input);
  return job as unknown as JsonObject;
}

function addWorkspace(spec: PodSpec, config: Config): VolumeMount {
  const volume = cloneJson(config["workspace-volume"]) ?? { name: "workspace", emptyDir: {} };
  if (spec.volumes?.some((v) => v.name === volume.name)) {
    throw new AgentifyError("reserved-name", `volume name "${volume.name}" is reserved for the workspace`);
  }
  spec.volumes = [...(spec.volumes ?? []), volume];
  const subPathExpr = config["workspace-mount-sub-path-expr"];
  return { name: volume.name, mountPath: WORKSPACE_PATH, ...(subPathExpr ? { subPathExpr } : {}) };
}

interface PodInputs {
  uuid: string;
  tags: readonly string[];
  workspaceMount: VolumeMount;
  skipCheckout: boolean;
  interposer: Interposer | undefined;
}

/** Command containers, sidecars, agent, checkout and copy-agent, in agent-stack-k8s's order. */
function buildPod(spec: PodSpec, config: Config, plugin: KubernetesPlugin, inputs: PodInputs): PodSpec {
  const sharedMounts = [inputs.workspaceMount, ...(plugin.extraVolumeMounts ?? [])];
  const agentConfig = config["agent-config"];
  const gitEnvFrom = plugin.gitEnvFrom;
  spec.terminationGracePeriodSeconds ??= config["default-termination-grace-period-seconds"];
  spec.containers = spec.containers.map((c, i) =>
    buildCommandContainer(c, i, {
      firstId: inputs.skipCheckout ? 0 : 1,
      interposer: inputs.interposer,
      agentConfig,
      commandParams: [config["default-command-params"], plugin.commandParams],
      sharedMounts,
      gitEnvFrom,
    }),
  );
  const sidecars = buildSidecars(plugin.sidecars ?? [], {
    params: [config["default-sidecar-params"], plugin.sidecarParams],
    sharedMounts,
    gitEnvFrom,
  });
  const checkoutParams = [config["default-checkout-params"], plugin.checkout];
  spec.containers.push(
    buildAgentContainer(config, {
      jobUuid: inputs.uuid,
      tags: inputs.tags,
      sharedMounts,
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      checkoutParams,
    }),
  );
  if (!inputs.skipCheckout) {
    spec.containers.push(buildCheckoutContainer(config, spec, { agentConfig, params: checkoutParams, sharedMounts, gitEnvFrom }));
  }
  spec.initContainers = [buildCopyAgentContainer(config, inputs.workspaceMount), ...(spec.initContainers ?? []), ...sidecars];
  spec.restartPolicy = "Never";
  return spec;
}

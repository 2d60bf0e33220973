// The bare Job for one Buildkite job: the user's containers (from the plugin's podSpec, a
// PodTemplate, or one `container-0` running the step command), labels that make it ours,
// annotations the webhook and humans read, and `suspend: true` so that a Job the webhook never
// saw cannot run. The webhook turns it into the agent pod at CREATE.
import type { Container, EnvVar, Job, PodSpec } from "../../webhook/core/k8s.ts";
import type { KubernetesPlugin } from "../../webhook/core/plugin/schema.ts";
import {
  AGENT_QUERY_RULES_ANNOTATION, BUILD_BRANCH_ANNOTATION, BUILD_REPO_ANNOTATION, BUILD_URL_ANNOTATION, CONTROLLER_ID_LABEL,
  JOB_PRIORITY_ANNOTATION, JOB_URL_ANNOTATION, JOB_UUID_LABEL, jobName, PIPELINE_SLUG_ANNOTATION, PLUGIN_ANNOTATION,
  POD_TEMPLATE_ANNOTATION, STEP_IMAGE_ANNOTATION, STEP_KEY_ANNOTATION, STEP_PULL_POLICIES_ANNOTATION,
} from "./names.ts";
import { JobParseError } from "./plugins.ts";
import { kubeletLiteral } from "../../webhook/core/container-edit.ts";

export interface BareJobSettings {
  namespace: string;
  jobPrefix: string;
  /** Config `id`; "" leaves the controller-id label off. */
  controllerId: string;
  /** Image of the default `container-0`. */
  image: string;
  /** Config `default-termination-grace-period-seconds`, stated on the pod when it sets none. */
  terminationGracePeriodSeconds?: number;
  /**
   * @deprecated Not used: pull policies are left as the step set them and listed in
   * STEP_PULL_POLICIES_ANNOTATION; the webhook applies the config's defaults.
   */
  defaultImagePullPolicy?: string;
}

export interface BareJobInput {
  uuid: string;
  /** The step's command (GET job `command`). */
  command: string;
  env: Readonly<Record<string, string>>;
  priority: number;
  /** Normalised agent query rules, `k=v`. */
  agentQueryRules: readonly string[];
  plugin: KubernetesPlugin | undefined;
  pluginJson: string | undefined;
  /** The PodTemplate's `template.spec`, when the plugin names one and gives no podSpec. */
  podTemplate?: { name: string; spec: Record<string, unknown> };
}

/** Plugin podSpec wins over podTemplate (as upstream); returns the PodTemplate name to fetch, if any. */
export function podTemplateToFetch(plugin: KubernetesPlugin | undefined): string | undefined {
  return plugin && !plugin.podSpec && plugin.podTemplate ? plugin.podTemplate : undefined;
}

export function buildBareJob(input: BareJobInput, settings: BareJobSettings): Job {
  const spec = startingSpec(input);
  const containers = readContainers(spec);
  spec.containers = containers.length > 0
    ? containers.map((c) => withStepCommand(c, input.command))
    : [{ name: "container-0", image: settings.image, env: [stepCommandEnv(input.command)] }];
  // Valid as a Job even if it escapes the webhook (a pod template defaults to Always).
  spec.restartPolicy ??= "Never";
  // The apiserver would default 30 s before the webhook sees the Job, which cannot tell it from a choice.
  if (settings.terminationGracePeriodSeconds !== undefined) spec.terminationGracePeriodSeconds ??= settings.terminationGracePeriodSeconds;

  const labels: Record<string, string> = { [JOB_UUID_LABEL]: input.uuid };
  if (settings.controllerId) labels[CONTROLLER_ID_LABEL] = settings.controllerId;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(settings.jobPrefix, input.uuid),
      namespace: settings.namespace,
      labels,
      annotations: annotations(input, spec.containers),
    },
    spec: { suspend: true, template: { spec } },
  };
}

/**
 * The apiserver gives every container a pull policy before any webhook sees the Job, and the
 * webhook cannot tell its default from a choice. So the policies the step set are listed here
 * (by the name the webhook gives each container); the webhook drops the others and applies the
 * config's defaults, as agent-stack-k8s does with the step's own spec.
 */
function stepPullPolicies(containers: readonly Container[]): string {
  const policies: Record<string, string> = {};
  containers.forEach((c, i) => {
    if (typeof c.imagePullPolicy === "string" && c.imagePullPolicy !== "") policies[c.name || `container-${i}`] = c.imagePullPolicy;
  });
  return JSON.stringify(policies);
}

/** The step's command as an env value: escaped, so that the shell sees it as the step wrote it. */
function stepCommandEnv(command: string): EnvVar {
  return { name: "BUILDKITE_COMMAND", value: kubeletLiteral(command) };
}

function startingSpec(input: BareJobInput): PodSpec {
  const source = input.plugin?.podSpec ?? input.podTemplate?.spec ?? {};
  return structuredClone(source) as unknown as PodSpec;
}

function readContainers(spec: PodSpec): Container[] {
  const containers: unknown = spec.containers;
  if (containers === undefined || containers === null) return [];
  const where = "failed parsing Kubernetes plugin: podSpec.containers";
  if (!Array.isArray(containers)) throw new JobParseError(`${where}: expected an array`);
  containers.forEach((c: unknown, i) => {
    if (typeof c !== "object" || c === null || Array.isArray(c)) throw new JobParseError(`${where}[${i}]: expected an object`);
  });
  return containers as Container[];
}

/** A container without `command` runs the step's command (the webhook reads BUILDKITE_COMMAND). */
function withStepCommand(container: Container, command: string): Container {
  if (Array.isArray(container.command) && container.command.length > 0) return container;
  const env: EnvVar[] = (Array.isArray(container.env) ? container.env : []).filter((e) => e?.name !== "BUILDKITE_COMMAND");
  env.push(stepCommandEnv(command));
  return { ...container, env };
}

function annotations(input: BareJobInput, containers: readonly Container[]): Record<string, string> {
  const env = input.env;
  const out: Record<string, string> = {
    [AGENT_QUERY_RULES_ANNOTATION]: JSON.stringify(input.agentQueryRules),
    [JOB_PRIORITY_ANNOTATION]: String(input.priority),
    [STEP_PULL_POLICIES_ANNOTATION]: stepPullPolicies(containers),
  };
  if (input.pluginJson !== undefined) out[PLUGIN_ANNOTATION] = input.pluginJson;
  const set = (key: string, value: string | undefined) => {
    if (value) out[key] = value;
  };
  set(STEP_IMAGE_ANNOTATION, env.BUILDKITE_IMAGE);
  set(BUILD_URL_ANNOTATION, env.BUILDKITE_BUILD_URL);
  set(BUILD_BRANCH_ANNOTATION, env.BUILDKITE_BRANCH);
  set(BUILD_REPO_ANNOTATION, env.BUILDKITE_REPO);
  set(PIPELINE_SLUG_ANNOTATION, env.BUILDKITE_PIPELINE_SLUG);
  set(STEP_KEY_ANNOTATION, env.BUILDKITE_STEP_KEY);
  if (env.BUILDKITE_BUILD_URL) out[JOB_URL_ANNOTATION] = `${env.BUILDKITE_BUILD_URL}#${input.uuid}`;
  if (input.podTemplate && !input.plugin?.podSpec) out[POD_TEMPLATE_ANNOTATION] = input.podTemplate.name;
  return out;
}

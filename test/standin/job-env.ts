// The env + command Buildkite returns from GET /stacks/:key/jobs/:uuid, built from
// a step the way Buildkite would. Names follow Buildkite's environment-variable
// docs; BUILDKITE_AGENT_META_DATA_* are derived from the job's query rules (a guess:
// on real Buildkite they describe the agent, which does not exist yet at this point).
import { pluginsEnvValue } from "./plugins.ts";
import type { BuildSpec, StepSpec } from "./types.ts";

export interface JobEnvContext {
  jobId: string;
  stepId: string;
  step: StepSpec;
  build: Required<Omit<BuildSpec, "env">> & { env: Record<string, string>; uuid: string; number: number; pipelineUuid: string };
  organization: { slug: string; uuid: string };
  clusterId: string;
  agentQueryRules: string[];
}

export function stepCommand(step: StepSpec): string {
  if (step.command === undefined) return "";
  return Array.isArray(step.command) ? step.command.join("\n") : step.command;
}

/** `{queue: "k8s"}` or `["queue=k8s"]` → `["queue=k8s"]`, in the order written. */
export function agentQueryRules(agents: StepSpec["agents"]): string[] {
  if (agents === undefined) return [];
  if (Array.isArray(agents)) return [...agents];
  return Object.entries(agents).map(([key, value]) => `${key}=${value}`);
}

export function buildJobEnv(ctx: JobEnvContext): Record<string, string> {
  const { step, build, organization } = ctx;
  const command = stepCommand(step);
  const buildUrl = `https://buildkite.com/${organization.slug}/${build.pipeline}/builds/${build.number}`;
  const standard: Record<string, string> = {
    CI: "true",
    BUILDKITE: "true",
    BUILDKITE_ORGANIZATION_SLUG: organization.slug,
    BUILDKITE_ORGANIZATION_ID: organization.uuid,
    BUILDKITE_CLUSTER_ID: ctx.clusterId,
    BUILDKITE_PIPELINE_SLUG: build.pipeline,
    BUILDKITE_PIPELINE_NAME: build.pipeline,
    BUILDKITE_PIPELINE_ID: build.pipelineUuid,
    BUILDKITE_PIPELINE_PROVIDER: "github",
    BUILDKITE_PIPELINE_DEFAULT_BRANCH: "main",
    BUILDKITE_PROJECT_SLUG: `${organization.slug}/${build.pipeline}`,
    BUILDKITE_REPO: build.repo,
    BUILDKITE_BRANCH: build.branch,
    BUILDKITE_COMMIT: build.commit,
    BUILDKITE_MESSAGE: build.message,
    BUILDKITE_TAG: build.tag,
    BUILDKITE_BUILD_ID: build.uuid,
    BUILDKITE_BUILD_NUMBER: String(build.number),
    BUILDKITE_BUILD_URL: buildUrl,
    BUILDKITE_BUILD_CREATOR: "Stand-in User",
    BUILDKITE_BUILD_CREATOR_EMAIL: "standin@example.com",
    BUILDKITE_BUILD_AUTHOR: "Stand-in User",
    BUILDKITE_BUILD_AUTHOR_EMAIL: "standin@example.com",
    BUILDKITE_SOURCE: "api",
    BUILDKITE_PULL_REQUEST: "false",
    BUILDKITE_PULL_REQUEST_BASE_BRANCH: "",
    BUILDKITE_PULL_REQUEST_REPO: "",
    BUILDKITE_REBUILT_FROM_BUILD_ID: "",
    BUILDKITE_REBUILT_FROM_BUILD_NUMBER: "",
    BUILDKITE_TRIGGERED_FROM_BUILD_ID: "",
    BUILDKITE_JOB_ID: ctx.jobId,
    BUILDKITE_STEP_ID: ctx.stepId,
    BUILDKITE_LABEL: step.label ?? command.split("\n")[0] ?? "",
    BUILDKITE_COMMAND: command,
    BUILDKITE_SCRIPT_PATH: command,
    BUILDKITE_RETRY_COUNT: "0",
    BUILDKITE_TIMEOUT: step.timeoutInMinutes === undefined ? "false" : String(step.timeoutInMinutes),
  };
  if (step.key !== undefined) standard.BUILDKITE_STEP_KEY = step.key;
  if (step.image !== undefined) standard.BUILDKITE_IMAGE = step.image;
  if (step.artifactPaths !== undefined) standard.BUILDKITE_ARTIFACT_PATHS = step.artifactPaths;
  if (step.plugins !== undefined) standard.BUILDKITE_PLUGINS = pluginsEnvValue(step.plugins);
  for (const rule of ctx.agentQueryRules) {
    const eq = rule.indexOf("=");
    if (eq <= 0) continue;
    const name = rule.slice(0, eq).toUpperCase().replace(/[^A-Z0-9_]/g, "_");
    standard[`BUILDKITE_AGENT_META_DATA_${name}`] = rule.slice(eq + 1);
  }
  // Pipeline and step env come first: Buildkite's own variables cannot be overridden.
  return { ...build.env, ...(step.env ?? {}), ...standard };
}

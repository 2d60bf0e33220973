// Names that make up the contract between the dispatcher, the webhook and buildkite-agent.
export const JOB_UUID_LABEL = "buildkite.com/job-uuid";
export const CONTROLLER_ID_LABEL = "buildkite.com/controller-id";
export const TAG_LABEL_PREFIX = "tag.buildkite.com/";

export const PLUGIN_ANNOTATION = "buildkite.com/kubernetes-plugin";
export const AGENT_QUERY_RULES_ANNOTATION = "buildkite.com/agent-query-rules";
/** The step's `image:` attribute (BUILDKITE_IMAGE), applied between the controller and plugin patches. */
export const STEP_IMAGE_ANNOTATION = "buildkite.com/step-image";
/**
 * JSON object, container name → the pull policy the step set. Present: any other container's
 * policy is the apiserver's default, not the step's. Absent: every stored policy counts.
 */
export const STEP_PULL_POLICIES_ANNOTATION = "buildkite.com/step-image-pull-policies";
export const AGENTIFIED_ANNOTATION = "buildkite.com/agentified";
export const SAFE_TO_EVICT_ANNOTATION = "cluster-autoscaler.kubernetes.io/safe-to-evict";
export const SIDECAR_ANNOTATION_PREFIX = "buildkite.com/sidecar-";

export const AGENT_CONTAINER = "agent";
export const CHECKOUT_CONTAINER = "checkout";
export const COPY_AGENT_CONTAINER = "copy-agent";
export const IMAGECHECK_PREFIX = "imagecheck-";

export const WORKSPACE_PATH = "/workspace";
export const TINI_COMMAND = ["/workspace/tini-static"];
export const BOOTSTRAP_ARGS = ["--", "/workspace/buildkite-agent", "kubernetes-bootstrap"];

/** The agent version whose pod layout we reproduce; recorded in the status annotation. */
export const AGENTIFY_VERSION = "0.1.0";
export const DEFAULT_AGENT_IMAGE = "ghcr.io/buildkite/agent:3.136.2";

/** The deterministic Job name, `<job-prefix><uuid>`: the dispatcher's idempotency key. */
export function jobName(prefix: string, uuid: string): string {
  return `${prefix}${uuid}`;
}

export function isReservedName(name: string): boolean {
  return (
    name === AGENT_CONTAINER ||
    name === CHECKOUT_CONTAINER ||
    name === COPY_AGENT_CONTAINER ||
    name.startsWith(IMAGECHECK_PREFIX)
  );
}

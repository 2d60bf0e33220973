// Annotation names the dispatcher writes on bare Jobs (the contract with the webhook lives in
// webhook/core/names.ts; these are informational, as agent-stack-k8s writes them).
export {
  AGENT_QUERY_RULES_ANNOTATION, AGENTIFIED_ANNOTATION, CONTROLLER_ID_LABEL, JOB_UUID_LABEL, jobName, PLUGIN_ANNOTATION,
  STEP_IMAGE_ANNOTATION, STEP_PULL_POLICIES_ANNOTATION,
} from "../../webhook/core/names.ts";

export const BUILD_URL_ANNOTATION = "buildkite.com/build-url";
export const BUILD_BRANCH_ANNOTATION = "buildkite.com/build-branch";
export const BUILD_REPO_ANNOTATION = "buildkite.com/build-repo";
export const PIPELINE_SLUG_ANNOTATION = "buildkite.com/pipeline-slug";
export const STEP_KEY_ANNOTATION = "buildkite.com/step-key";
export const JOB_URL_ANNOTATION = "buildkite.com/job-url";
export const JOB_PRIORITY_ANNOTATION = "buildkite.com/job-priority";
export const POD_TEMPLATE_ANNOTATION = "buildkite.com/pod-template-name";

/** The stack key when config `id` is empty. */
export const DEFAULT_STACK_KEY = "agentify";

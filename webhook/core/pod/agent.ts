// The `agent` container: `buildkite-agent start` in Kubernetes mode, acquiring exactly this job.
// BUILDKITE_CONTAINER_COUNT is filled in last, once every mutation is done.
import type { Config } from "../config/index.ts";
import type { Container, VolumeMount } from "../k8s.ts";
import { AGENT_CONTAINER, WORKSPACE_PATH } from "../names.ts";
import { applyAgentConfigToAgent } from "./agent-config.ts";
import { applyCheckoutParamsToAgent } from "./checkout-params.ts";
import type { CheckoutParams } from "../config/params.ts";
import { agentImagePullPolicy } from "./image-policy.ts";
import { kubeletLiteral } from "../container-edit.ts";

export const DEFAULT_REDACTED_VARS = [
  "*_PASSWORD", "*_SECRET", "*_TOKEN", "*_PRIVATE_KEY", "*_SSH_KEY",
  "*_ACCESS_KEY", "*_SECRET_KEY", "*_CONNECTION_STRING", "*_API_KEY",
];

export interface AgentInputs {
  jobUuid: string;
  tags: readonly string[];
  sharedMounts: readonly VolumeMount[];
  terminationGracePeriodSeconds: number;
  checkoutParams: readonly (CheckoutParams | undefined)[];
}

export function buildAgentContainer(config: Config, inputs: AgentInputs): Container {
  const grace = inputs.terminationGracePeriodSeconds;
  const fieldRef = (fieldPath: string) => ({ fieldRef: { fieldPath } });
  const agent: Container = {
    name: AGENT_CONTAINER,
    image: config.image,
    imagePullPolicy: agentImagePullPolicy(config),
    args: ["start"],
    workingDir: WORKSPACE_PATH,
    env: [
      { name: "BUILDKITE_KUBERNETES_EXEC", value: "true" },
      { name: "BUILDKITE_CONTAINER_COUNT", value: "0" },
      { name: "BUILDKITE_AGENT_TAGS", value: kubeletLiteral(inputs.tags.join(",")) },
      { name: "BUILDKITE_K8S_NODE", valueFrom: fieldRef("spec.nodeName") },
      { name: "BUILDKITE_K8S_NAMESPACE", valueFrom: fieldRef("metadata.namespace") },
      { name: "BUILDKITE_K8S_SERVICE_ACCOUNT", valueFrom: fieldRef("spec.serviceAccountName") },
      { name: "BUILDKITE_BUILD_PATH", value: "/workspace/build" },
      { name: "BUILDKITE_HOOKS_PATH", value: "/workspace/hooks" },
      { name: "BUILDKITE_PLUGINS_PATH", value: "/workspace/plugins" },
      { name: "BUILDKITE_SOCKETS_PATH", value: "/workspace/sockets/agent" },
      // The agent image has bash, command images often do not; the agent forwards this value.
      { name: "BUILDKITE_SHELL", value: "/bin/sh -ec" },
      {
        name: "BUILDKITE_AGENT_TOKEN",
        valueFrom: { secretKeyRef: { name: config["agent-token-secret"], key: "BUILDKITE_AGENT_TOKEN" } },
      },
      { name: "BUILDKITE_AGENT_ACQUIRE_JOB", value: inputs.jobUuid },
      { name: "BUILDKITE_REDACTED_VARS", value: kubeletLiteral([...DEFAULT_REDACTED_VARS, ...config["additional-redacted-vars"]].join(",")) },
      { name: "BUILDKITE_CANCEL_GRACE_PERIOD", value: String(Math.max(grace, 1)) },
      // Ten seconds are left to upload logs and finish the job before Kubernetes kills the pod.
      { name: "BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS", value: String(Math.max(0, grace - 10)) },
    ],
    volumeMounts: inputs.sharedMounts.map((m) => ({ ...m })),
  };
  applyAgentConfigToAgent(agent, config["agent-config"]);
  for (const params of inputs.checkoutParams) applyCheckoutParamsToAgent(agent, params);
  return agent;
}

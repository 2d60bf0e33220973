// The `checkout` container (bootstrap client 0): clones the repository before any command runs.
// Its script depends on the pod's user, which is only known after patches (see non-root.ts).
import type { AgentConfig, Config } from "../config/index.ts";
import type { CheckoutParams } from "../config/params.ts";
import type { Container, EnvFromSource, PodSpec, VolumeMount } from "../k8s.ts";
import { addEnvFrom, addMounts } from "../container-edit.ts";
import { CHECKOUT_CONTAINER, WORKSPACE_PATH } from "../names.ts";
import { applyAgentConfigToCheckout } from "./agent-config.ts";
import { applyCheckoutParamsToCheckout } from "./checkout-params.ts";
import { agentImagePullPolicy } from "./image-policy.ts";
import { cloneJson } from "../json.ts";

const CREDENTIALS_RO = "/buildkite/git-credentials-ro";
const CREDENTIALS = "/buildkite/git-credentials";

export interface CheckoutInputs {
  agentConfig: AgentConfig | undefined;
  params: readonly (CheckoutParams | undefined)[];
  sharedMounts: readonly VolumeMount[];
  gitEnvFrom: readonly EnvFromSource[] | undefined;
}

export function buildCheckoutContainer(config: Config, spec: PodSpec, inputs: CheckoutInputs): Container {
  const checkout: Container = {
    name: CHECKOUT_CONTAINER,
    image: config.image,
    imagePullPolicy: agentImagePullPolicy(config),
    command: ["/bin/sh", "-c"],
    args: [""], // written by finalizeUsers once the pod's user is known
    workingDir: WORKSPACE_PATH,
    env: [
      { name: "BUILDKITE_BOOTSTRAP_PHASES", value: "plugin,checkout" },
      { name: "BUILDKITE_CONTAINER_ID", value: "0" },
      { name: "BUILDKITE_SOCKETS_PATH", value: "/workspace/sockets/checkout" },
    ],
    volumeMounts: inputs.sharedMounts.map((m) => ({ ...m })),
  };
  applyAgentConfigToCheckout(checkout, inputs.agentConfig);
  for (const params of inputs.params) applyCheckoutParamsToCheckout(checkout, spec, params);
  addEnvFrom(checkout, inputs.gitEnvFrom);
  const secret = lastDefined(inputs.params.map((p) => p?.gitCredentialsSecret));
  if (secret) {
    (spec.volumes ??= []).push(
      { name: "git-credentials-ro", secret: cloneJson(secret) },
      { name: "git-credentials", emptyDir: { medium: "Memory" } },
    );
    addMounts(checkout, [
      { name: "git-credentials-ro", mountPath: CREDENTIALS_RO },
      { name: "git-credentials", mountPath: CREDENTIALS },
    ]);
  }
  return checkout;
}

/** The git setup line of the checkout script: installs a credential store when a secret is mounted. */
export function gitConfigCommand(checkout: Container): string {
  const hasCredentials = checkout.volumeMounts?.some((m) => m.mountPath === CREDENTIALS_RO) ?? false;
  if (!hasCredentials) return "true";
  return `cp ${CREDENTIALS_RO}/.git-credentials ${CREDENTIALS} && git config --global credential.helper 'store --file ${CREDENTIALS}/.git-credentials'`;
}

function lastDefined<T>(values: readonly (T | undefined)[]): T | undefined {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== undefined) return values[i];
  return undefined;
}

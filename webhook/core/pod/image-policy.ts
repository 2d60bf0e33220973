// Pull policies as agent-stack-k8s picks them: digest-pinned images need no re-pull.
import type { Config } from "../config/index.ts";
import type { Container } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { STEP_PULL_POLICIES_ANNOTATION } from "../names.ts";

export function isDigestPinned(image: string): boolean {
  return image.includes("@sha256:") || image.includes("@sha512:");
}

export function defaultPullPolicy(config: Config, image: string): string {
  return config["default-image-pull-policy"] || (isDigestPinned(image) ? "IfNotPresent" : "Always");
}

export function agentImagePullPolicy(config: Config): string {
  return defaultPullPolicy(config, config.image);
}

export const PULL_RANK: Record<string, number> = { Always: 3, IfNotPresent: 2, Never: 1 };

const POLICIES = new Set(Object.keys(PULL_RANK));

/**
 * With the step's pull policies listed (STEP_PULL_POLICIES_ANNOTATION), a command container
 * keeps only the policy the step set: any other is the apiserver's default, dropped so that the
 * config's defaults apply. Without the annotation every stored policy counts as the Job's own.
 */
export function applyStepPullPolicies(containers: Container[], annotation: string | undefined): void {
  if (annotation === undefined) return;
  const policies = parseStepPullPolicies(annotation);
  containers.forEach((c, i) => {
    const policy = policies.get(c.name || `container-${i}`);
    if (policy === undefined) delete c.imagePullPolicy;
    else c.imagePullPolicy = policy;
  });
}

function parseStepPullPolicies(text: string): Map<string, string> {
  const fail = (why: string): never => {
    throw new AgentifyError("invalid-annotation", `annotation ${STEP_PULL_POLICIES_ANNOTATION}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("expected a JSON object of container name → pull policy");
  const policies = new Map<string, string>();
  for (const [name, policy] of Object.entries(raw)) {
    if (typeof policy !== "string" || !POLICIES.has(policy)) {
      return fail(`${JSON.stringify(name)}: expected Always, IfNotPresent or Never, got ${JSON.stringify(policy)}`);
    }
    policies.set(name, policy);
  }
  return policies;
}

// `imagecheck-N` init containers pre-pull every image of the regular containers, so that a
// pull failure shows before the agent acquires the job. Computed after all patches, so images
// set by patches or by the step's `image:` are checked too; numbered by first appearance.
import type { Config } from "../config/index.ts";
import type { Container, PodSpec, VolumeMount } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { cloneJson } from "../json.ts";
import { COPY_AGENT_CONTAINER, IMAGECHECK_PREFIX } from "../names.ts";
import { defaultPullPolicy, PULL_RANK } from "./image-policy.ts";
import { imageRefProblem } from "./image-ref.ts";

export function validateImages(spec: PodSpec): void {
  const problems: string[] = [];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const problem = imageRefProblem(c.image);
    if (problem) problems.push(`${problem} ${JSON.stringify(c.image ?? "")} for container "${c.name}"`);
  }
  if (problems.length === 1) throw new AgentifyError("invalid-image", problems[0] as string);
  if (problems.length > 1) throw new AgentifyError("invalid-image", `invalid image references: ${problems.join("; ")}`);
}

export function addImageChecks(spec: PodSpec, config: Config, workspaceMount: VolumeMount, securityContext?: Record<string, unknown>): void {
  const skip = config["skip-image-check-containers"];
  const wanted = new Map<string, string>(); // image → most-pulling policy, in first-seen order
  for (const c of spec.containers) {
    const image = c.image as string;
    const fallback = defaultPullPolicy(config, image);
    const nominal = c.imagePullPolicy || config["default-image-check-pull-policy"] || fallback;
    let own = c.imagePullPolicy || fallback;
    // The check already pulled the image; pulling again would only add a registry round-trip.
    if (!skip && own === "Always" && nominal === "Always") own = "IfNotPresent";
    c.imagePullPolicy = own;
    const previous = wanted.get(image);
    if (!previous || rank(nominal) > rank(previous)) wanted.set(image, nominal);
  }
  if (skip) return;
  const inits = spec.initContainers ?? [];
  const checks: Container[] = [];
  for (const [image, policy] of wanted) {
    const covered = inits.some(
      (i) => i.image === image && rank(i.imagePullPolicy || defaultPullPolicy(config, image)) >= rank(policy),
    );
    if (covered) continue;
    checks.push({
      name: `${IMAGECHECK_PREFIX}${checks.length}`,
      image,
      imagePullPolicy: policy,
      command: ["/workspace/tini-static"],
      args: ["--version"],
      volumeMounts: [{ ...workspaceMount }],
      resources: {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: config["image-check-container-cpu-limit"], memory: config["image-check-container-memory-limit"] },
      },
      ...(securityContext ? { securityContext: cloneJson(securityContext) } : {}),
    });
  }
  const at = inits.findIndex((c) => c.name === COPY_AGENT_CONTAINER) + 1;
  inits.splice(at, 0, ...checks);
  spec.initContainers = inits;
}

function rank(policy: string): number {
  return PULL_RANK[policy] ?? 0;
}

// Non-root pods, round trip: a dispatcher Job whose step runs as uid 1000 is stored with a
// writable HOME on every container that runs as that user (agent, checkout, command), in both
// non-root-workspace modes, and Pod Security admits its Pod: baseline with chown, restricted with
// fs-group. (Whether the containers then start is a node's business; see the README.)
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { waitForDefaultServiceAccount } from "../support/namespaces.ts";
import { eventually } from "../support/wait.ts";
import { eventsFor, podsOfJob } from "../webhook/helpers/jobs.ts";
import { containerOf, createStored, dispatcherJob, startStack } from "./stacks.ts";
import type { Stack } from "./stacks.ts";

const ENFORCE = "pod-security.kubernetes.io/enforce";
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const RUNNERS = ["build", "agent", "checkout"];

const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

/** The Job's Pod, or the Job controller's FailedCreate event when Pod Security refuses it. */
async function podOrRefusal(stack: Stack, job: Job): Promise<{ pod?: JsonObject; refused?: string }> {
  const name = job.metadata.name ?? "";
  return eventually(`a Pod or a FailedCreate event for ${name}`, async () => {
    const pod = (await podsOfJob(stack.api, stack.namespace, name))[0];
    if (pod) return { pod };
    const refused = (await eventsFor(stack.api, stack.namespace, "Job", name)).find((e) => e.startsWith("FailedCreate"));
    return refused === undefined ? undefined : { refused };
  }, 60_000, 200);
}

function step(namespace: string, container: Container): JsonObject {
  const podSpec = { securityContext: { runAsUser: 1000, runAsGroup: 1000 }, containers: [container] };
  return dispatcherJob(namespace, { uuid: randomUUID(), command: "id", plugin: { podSpec }, pluginJson: JSON.stringify({ podSpec }) });
}

describe("compat e2e: non-root pods get a writable HOME and pass Pod Security", () => {
  let chown: Stack;
  let fsGroup: Stack;

  before(async function () {
    this.timeout(180_000);
    chown = await startStack("chown", { "non-root-workspace": "chown" }, { [ENFORCE]: "baseline" });
    fsGroup = await startStack("fs-group", { "non-root-workspace": "fs-group" }, { [ENFORCE]: "restricted" });
    for (const stack of [chown, fsGroup]) await waitForDefaultServiceAccount(stack.api, stack.namespace);
  });

  after(async () => {
    for (const stack of [chown, fsGroup]) await stack?.close();
  });

  it("chown: HOME=/workspace, which copy-agent gives the user, and a baseline Pod", async () => {
    const stored = await createStored(chown.api, step(chown.namespace, { name: "build", image: "node:22" }));
    for (const name of RUNNERS) expect(envOf(containerOf(stored, name), "HOME"), name).to.equal("/workspace");
    expect(containerOf(stored, "copy-agent").args?.[1]).to.contain("chown -R 1000:1000 /workspace");
    const outcome = await podOrRefusal(chown, stored);
    expect(outcome.refused, "Pod Security baseline").to.equal(undefined);
  });

  it("fs-group: HOME=/workspace, shared through fsGroup, and a restricted Pod where nothing runs as root", async () => {
    const stored = await createStored(fsGroup.api, step(fsGroup.namespace, { name: "build", image: "node:22", securityContext: RESTRICTED_CONTAINER }));
    for (const name of RUNNERS) expect(envOf(containerOf(stored, name), "HOME"), name).to.equal("/workspace");
    const outcome = await podOrRefusal(fsGroup, stored);
    expect(outcome.refused, "Pod Security restricted").to.equal(undefined);
    const spec = (outcome.pod?.["spec"] ?? {}) as { securityContext?: Record<string, unknown>; initContainers?: Container[]; containers?: Container[] };
    expect(spec.securityContext).to.deep.include({ runAsUser: 1000, runAsNonRoot: true, fsGroup: 1000 });
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      expect(c.securityContext?.["runAsUser"], `${c.name} runs as the pod's user`).to.equal(undefined);
    }
  });
});

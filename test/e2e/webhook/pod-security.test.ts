// Item 9: Pod Security admission. It is enforced on Pods, which the Job controller creates, so
// each check waits for the Pod, or for the Job's FailedCreate event when PodSecurity refuses it.
//   baseline:   the manifests' config; agentified Jobs (root and non-root) get their Pods.
//   restricted: a webhook with `non-root-workspace: fs-group`, which gives the containers
//               agentify adds (image checks included) a restricted securityContext and the pod
//               runAsNonRoot, seccomp and fsGroup; the Job brings its user and its containers'.
// Each level is also shown to be enforced, with a Job that breaks it.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { configFromObject } from "../../../webhook/core/config/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { WebhookServer } from "../../../webhook/server/server.ts";
import { jobsPath } from "../support/api.ts";
import { createNamespace, deleteNamespace, waitForDefaultServiceAccount } from "../support/namespaces.ts";
import { eventually } from "../support/wait.ts";
import { EXTRA_LABEL, MANIFEST_CONFIG_PATH, MANIFESTS_NS_LABELS } from "./helpers/env.ts";
import { bareJob, eventsFor, podsOfJob } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { agentifyWebhookEntry, deleteMutatingWebhookConfiguration, isAgentified, putMutatingWebhookConfiguration, waitUntilAgentified } from "./helpers/registration.ts";

const ENFORCE = "pod-security.kubernetes.io/enforce";
const RESTRICTED_CONFIG_NAME = "agentify-e2e-restricted";
const RESTRICTED_LABEL: [string, string] = [EXTRA_LABEL, "restricted"];
/** What the restricted profile wants of every container. */
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const RESTRICTED_POD = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
/** All the Job itself must say: its user; agentify adds the rest of the pod's context. */
const JOB_POD_CONTEXT = { runAsUser: 1000, runAsGroup: 1000 };

function restrictedConfigObject(): Record<string, unknown> {
  return {
    ...(parseYaml(readFileSync(MANIFEST_CONFIG_PATH, "utf8")) as Record<string, unknown>),
    "non-root-workspace": "fs-group",
  };
}

type Outcome = { pod: JsonObject } | { refused: string };

/** Creates the Job and waits for its Pod, or for the Job controller's FailedCreate event. */
async function createAndWait(installed: Installed, job: JsonObject): Promise<Outcome> {
  const { api } = installed.env;
  const metadata = job["metadata"] as JsonObject;
  const ns = String(metadata["namespace"]);
  const name = String(metadata["name"]);
  const stored = await api.create(jobsPath(ns), job);
  expect(isAgentified(stored), `${name} agentified`).to.equal(true);
  return eventually(`a Pod or a FailedCreate event for Job ${ns}/${name}`, async (): Promise<Outcome | undefined> => {
    const pod = (await podsOfJob(api, ns, name))[0];
    if (pod) return { pod };
    const refused = (await eventsFor(api, ns, "Job", name)).find((e) => e.startsWith("FailedCreate"));
    return refused === undefined ? undefined : { refused };
  }, 60_000, 200);
}

function expectPod(outcome: Outcome, what: string): JsonObject {
  if ("refused" in outcome) expect.fail(`${what}: no Pod: ${outcome.refused}`);
  return outcome.pod;
}

function expectRefused(outcome: Outcome, what: string): string {
  if ("pod" in outcome) expect.fail(`${what}: a Pod was created`);
  return outcome.refused;
}

describe("webhook e2e: Pod Security admission of agentified Jobs", () => {
  let installed: Installed;
  let baselineNs: string;
  let restrictedNs: string;
  let restrictedWebhook: WebhookServer | undefined;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    const { api, caBundle } = installed.env;
    baselineNs = await createNamespace(api, "e2e-baseline", { ...MANIFESTS_NS_LABELS, [ENFORCE]: "baseline" });
    restrictedNs = await createNamespace(api, "e2e-restricted", { [RESTRICTED_LABEL[0]]: RESTRICTED_LABEL[1], [ENFORCE]: "restricted" });
    const server = await installed.env.startAgentify(configFromObject(restrictedConfigObject(), "restricted e2e config"));
    restrictedWebhook = server;
    const entry = agentifyWebhookEntry(installed.webhookEntry, { url: server.mutateUrl, caBundle, namespaceLabel: RESTRICTED_LABEL });
    await putMutatingWebhookConfiguration(api, RESTRICTED_CONFIG_NAME, [entry]);
    for (const ns of [baselineNs, restrictedNs]) await waitForDefaultServiceAccount(api, ns);
    await waitUntilAgentified(api, restrictedNs);
  });

  after(async () => {
    await restrictedWebhook?.close();
    if (!installed) return;
    await deleteMutatingWebhookConfiguration(installed.env.api, RESTRICTED_CONFIG_NAME);
    for (const ns of [baselineNs, restrictedNs]) if (ns) await deleteNamespace(installed.env.api, ns);
  });

  it("baseline: agentified Jobs, running as root or not, get their Pods", async () => {
    const root = await createAndWait(installed, bareJob({ namespace: baselineNs, name: "root" }));
    expectPod(root, "root");
    const nonRoot = await createAndWait(installed, bareJob({ namespace: baselineNs, name: "non-root", podSpec: { securityContext: { runAsUser: 1000, runAsGroup: 1000 } } }));
    const podSpec = expectPod(nonRoot, "non-root")["spec"] as JsonObject;
    expect(podSpec["securityContext"]).to.include({ runAsUser: 1000 });
  });

  it("baseline is enforced: a Job with a privileged container gets no Pod", async () => {
    const job = bareJob({ namespace: baselineNs, name: "privileged", containers: [{ name: "build", image: "alpine:3.20", command: ["make"], securityContext: { privileged: true } }] });
    expect(expectRefused(await createAndWait(installed, job), "privileged")).to.contain('violates PodSecurity "baseline:latest": privileged');
  });

  it("restricted: a Job agentified with fs-group and restricted security contexts gets its Pod", async () => {
    const job = bareJob({
      namespace: restrictedNs, name: "restricted",
      podSpec: { securityContext: JOB_POD_CONTEXT },
      containers: [{ name: "build", image: "alpine:3.20", command: ["make test"], securityContext: RESTRICTED_CONTAINER }],
    });
    const pod = expectPod(await createAndWait(installed, job), "restricted");
    const spec = pod["spec"] as JsonObject;
    expect(spec["securityContext"]).to.deep.include({ ...RESTRICTED_POD, fsGroup: 1000 });
    const containers = [...(spec["initContainers"] as JsonObject[]), ...(spec["containers"] as JsonObject[])];
    expect(containers.map((c) => c["name"])).to.deep.equal(["copy-agent", "imagecheck-0", "build", "agent", "checkout"]);
    for (const c of containers) expect(c["securityContext"], String(c["name"])).to.deep.include(RESTRICTED_CONTAINER);
  });

  it("restricted is enforced: the same Job without its container's securityContext gets no Pod", async () => {
    const job = bareJob({
      namespace: restrictedNs, name: "unrestricted",
      podSpec: { securityContext: RESTRICTED_POD },
      containers: [{ name: "build", image: "alpine:3.20", command: ["make test"] }],
    });
    const refused = expectRefused(await createAndWait(installed, job), "unrestricted");
    expect(refused).to.contain('violates PodSecurity "restricted:latest"');
    expect(refused).to.contain('container "build" must set securityContext.allowPrivilegeEscalation=false');
  });
});

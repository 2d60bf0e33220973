// Item 2: a bare labelled Job created through the API is stored agentified, exactly as the core
// agentifies it (after the apiserver's defaulting), unsuspended; the Job controller then creates
// a Pod whose spec is the agentified template. The webhook gets the Job after the apiserver has
// defaulted it (terminationGracePeriodSeconds 30, imagePullPolicy, ...), so "exactly" is checked
// against the input the webhook recorded, and separately against agentify(the Job as written).
import { expect } from "chai";
import { AGENTIFIED_ANNOTATION, agentify } from "../../../webhook/core/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { checklistViolations } from "../../support/checklist.ts";
import { jobsPath } from "../support/api.ts";
import { createNamespace, deleteNamespace, waitForDefaultServiceAccount } from "../support/namespaces.ts";
import { eventually } from "../support/wait.ts";
import { MANIFESTS_NS_LABELS } from "./helpers/env.ts";
import { DEFAULT_CONTAINERS, bareJob, comparableJob, containersOf, names, podSpecOf, podsOfJob, withEmptyEnvValues } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { admissionCounts, countDelta } from "./helpers/metrics.ts";
import { diffPaths } from "./helpers/subset.ts";

const RUN_FIELDS = ["image", "command", "args", "env", "envFrom", "workingDir"];
const runFields = (c: JsonObject): JsonObject => Object.fromEntries(RUN_FIELDS.filter((f) => f in c).map((f) => [f, c[f] ?? null]));

const annotationsOf = (job: JsonObject): JsonObject => ((job["metadata"] as JsonObject)["annotations"] as JsonObject | undefined) ?? {};

/** comparableJob without the agentified annotation, whose input hash differs when the input does. */
function withoutInputHash(job: JsonObject): JsonObject {
  const out = comparableJob(job);
  delete ((out["metadata"] as JsonObject)["annotations"] as JsonObject)[AGENTIFIED_ANNOTATION];
  return out;
}

function withoutManagedFieldsTimes(job: JsonObject): JsonObject {
  const metadata = job["metadata"] as JsonObject;
  const managedFields = (metadata["managedFields"] as JsonObject[]).map(({ time: _time, ...entry }) => entry);
  return { ...job, metadata: { ...metadata, managedFields } };
}

describe("webhook e2e: a labelled Job is agentified on create", () => {
  let installed: Installed;
  let ns: string;
  let bare: JsonObject;
  let name: string;
  /** What the webhook was sent: the bare Job after the apiserver decoded and defaulted it. */
  let reviewed: JsonObject;
  /** Dry-run creates (the apiserver's defaults applied) of agentify's output for that input and for `bare`. */
  let fromReviewed: JsonObject;
  let fromBare: JsonObject;
  let stored: JsonObject;
  let delta: Record<string, number>;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    const { api, config, webhook } = installed.env;
    ns = await createNamespace(api, "e2e-agentify", { ...MANIFESTS_NS_LABELS });
    await waitForDefaultServiceAccount(api, ns);
    // The fields the apiserver would default before admission are stated, as the dispatcher's
    // bare Jobs state them; otherwise the webhook cannot tell a default from a choice.
    bare = bareJob({
      namespace: ns,
      podSpec: { terminationGracePeriodSeconds: 60 },
      containers: DEFAULT_CONTAINERS.map((c) => ({ ...c, imagePullPolicy: "Always" })),
    });
    name = String((bare["metadata"] as JsonObject)["name"]);
    // A dry run first, to see what the webhook gets (a dry run after the create would conflict).
    await api.create(jobsPath(ns), bare, true);
    const input = installed.env.reviewed(ns, name);
    if (!input) throw new Error("the webhook was not called for the dry run");
    reviewed = input;
    // agentify's outputs are already agentified, so the webhook passes them through unchanged.
    fromReviewed = await api.create(jobsPath(ns), agentify(reviewed, config), true);
    fromBare = await api.create(jobsPath(ns), agentify(bare, config), true);
    const before = await admissionCounts(webhook);
    stored = await api.create(jobsPath(ns), bare);
    delta = countDelta(before, await admissionCounts(webhook));
  });

  after(async () => {
    if (ns) await deleteNamespace(installed.env.api, ns);
  });

  it("calls the webhook once and stores exactly what agentify makes of the Job it was sent", async () => {
    expect(delta).to.deep.equal({ "agentified/agentified": 1 });
    // The apiserver stamps managedFields (to the second) before admission: the dry run and the
    // create may fall in different seconds. Everything else must be the same.
    const times = (job: JsonObject): unknown[] => ((job["metadata"] as JsonObject)["managedFields"] as JsonObject[]).map((f) => f["time"]);
    expect(times(reviewed), "the review carries managedFields times").to.satisfy((t: unknown[]) => t.length > 0 && t.every((x) => typeof x === "string"));
    const created = installed.env.reviewed(ns, name);
    expect(created, "the create was reviewed").to.not.equal(undefined);
    expect(diffPaths(withoutManagedFieldsTimes(created!), withoutManagedFieldsTimes(reviewed)), "same input for the dry run and the create").to.deep.equal([]);
    expect(diffPaths(comparableJob(fromReviewed), comparableJob(stored))).to.deep.equal([]);
    expect(diffPaths(comparableJob(stored), comparableJob(await installed.env.api.get(`${jobsPath(ns)}/${name}`)))).to.deep.equal([]);
  });

  it("unsuspends the Job and passes the agent pod checklist", () => {
    expect((stored["spec"] as JsonObject)["suspend"]).to.equal(false);
    expect(annotationsOf(stored)[AGENTIFIED_ANNOTATION]).to.be.a("string");
    const inputContainers = containersOf(podSpecOf(bare)) as unknown as Container[];
    expect(checklistViolations(withEmptyEnvValues(stored) as unknown as Job, { inputContainers, checkout: true })).to.deep.equal([]);
  });

  it("agentifies the Job as written when it states the fields the apiserver would default", () => {
    // agentify(bare) vs what the webhook made of the defaulted bare Job.
    expect(diffPaths(withoutInputHash(fromBare), withoutInputHash(stored))).to.deep.equal([]);
  });

  it("has the Job controller create a Pod with the agentified spec", async function () {
    this.timeout(90_000);
    const { api } = installed.env;
    const pod = await eventually(`a Pod of Job ${ns}/${name}`, async () => (await podsOfJob(api, ns, name))[0], 60_000, 200);
    const template = podSpecOf(stored);
    const podSpec = pod["spec"] as JsonObject;
    const podInits = containersOf(podSpec, "initContainers");
    const podContainers = containersOf(podSpec);
    expect(names(podInits)[0]).to.equal("copy-agent");
    expect(names(podInits)).to.deep.equal(names(containersOf(template, "initContainers")));
    expect(names(podContainers)).to.include.members(["agent", "checkout", "build", "lint"]);
    expect(names(podContainers)).to.deep.equal(names(containersOf(template)));
    // The rewritten command containers run the agent's bootstrap through tini, in the Pod too.
    for (const c of podContainers.filter((x) => x["name"] === "build" || x["name"] === "lint")) {
      expect(c["command"], String(c["name"])).to.deep.equal(["/workspace/tini-static"]);
      expect(c["args"], String(c["name"])).to.deep.equal(["--", "/workspace/buildkite-agent", "kubernetes-bootstrap"]);
    }
    for (const c of [...containersOf(template, "initContainers"), ...containersOf(template)]) {
      const inPod = [...podInits, ...podContainers].find((p) => p["name"] === c["name"]);
      expect(inPod && runFields(inPod), String(c["name"])).to.deep.equal(runFields(c));
    }
  });
});

// Item 3: an unlabelled Job is stored as written (the webhook is not even called), and a Job
// labelled with something that is not a job UUID is refused with the webhook's own message.
import { expect } from "chai";
import { AGENTIFIED_ANNOTATION, tryAgentify } from "../../../webhook/core/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { jobsPath } from "../support/api.ts";
import { createNamespace, deleteNamespace } from "../support/namespaces.ts";
import { MANIFESTS_NS_LABELS } from "./helpers/env.ts";
import { bareJob, comparableJob, containersOf, podSpecOf } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { admissionCounts, countDelta } from "./helpers/metrics.ts";
import { diffPaths } from "./helpers/subset.ts";

const WEBHOOK_NAME = "jobs.agentify.buildkite.com";

function withoutNamespace(job: JsonObject): JsonObject {
  const out = comparableJob(job);
  delete (out["metadata"] as JsonObject)["namespace"];
  return out;
}

describe("webhook e2e: Jobs the webhook does not agentify", () => {
  let installed: Installed;
  let ns: string;
  /** Not served by any webhook: the reference for what the apiserver alone stores. */
  let plainNs: string;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    ns = await createNamespace(installed.env.api, "e2e-pass", { ...MANIFESTS_NS_LABELS });
    plainNs = await createNamespace(installed.env.api, "e2e-plain");
  });

  after(async () => {
    for (const n of [ns, plainNs]) if (n) await deleteNamespace(installed.env.api, n);
  });

  it("stores an unlabelled Job unchanged, without calling the webhook", async () => {
    const { api, webhook } = installed.env;
    const job = bareJob({ namespace: ns, uuid: null, name: "unlabelled" });
    const reference = await api.create(jobsPath(plainNs), { ...job, metadata: { ...(job["metadata"] as JsonObject), namespace: plainNs } }, true);
    const before = await admissionCounts(webhook);
    const stored = await api.create(jobsPath(ns), job);
    expect(countDelta(before, await admissionCounts(webhook)), "webhook calls").to.deep.equal({});
    expect(diffPaths(withoutNamespace(reference), withoutNamespace(stored))).to.deep.equal([]);
    expect(((stored["metadata"] as JsonObject)["annotations"] as JsonObject | undefined)?.[AGENTIFIED_ANNOTATION]).to.equal(undefined);
    expect((stored["spec"] as JsonObject)["suspend"]).to.equal(true);
    const containers = containersOf(podSpecOf(stored));
    expect(containers.map((c) => [c["name"], c["image"], c["command"]])).to.deep.equal(
      containersOf(podSpecOf(job)).map((c) => [c["name"], c["image"], c["command"]]));
    expect(podSpecOf(stored)["initContainers"]).to.equal(undefined);
  });

  describe("a Job labelled with a value that is not a job UUID", () => {
    const name = "not-a-uuid";
    let job: JsonObject;
    let message: string;

    before(() => {
      job = bareJob({ namespace: ns, uuid: "not-a-uuid", name });
      const outcome = tryAgentify(job, installed.env.config);
      if (outcome.result !== "denied") throw new Error(`the core did not deny the Job: ${outcome.result}`);
      message = outcome.message;
      expect(message).to.contain("not-a-uuid");
    });

    it("is refused through the API with the webhook's message, and not stored", async () => {
      const { api, webhook } = installed.env;
      const before = await admissionCounts(webhook);
      const res = await api.request("POST", jobsPath(ns), { body: job });
      expect(countDelta(before, await admissionCounts(webhook))).to.deep.equal({ "denied/invalid-uuid": 1 });
      expect(res.status).to.equal(400);
      expect(res.body["reason"]).to.equal("BadRequest");
      expect(res.body["message"]).to.equal(`admission webhook "${WEBHOOK_NAME}" denied the request: ${message}`);
      expect((await api.request("GET", `${jobsPath(ns)}/${name}`)).status).to.equal(404);
    });

    it("is refused by kubectl with the webhook's message", async () => {
      const res = await installed.env.cluster.kubectl(["create", "-f", "-"], { input: JSON.stringify(job) });
      expect(res.code).to.not.equal(0);
      expect(res.stderr).to.contain(`admission webhook "${WEBHOOK_NAME}" denied the request: ${message}`);
      expect((await installed.env.api.request("GET", `${jobsPath(ns)}/${name}`)).status).to.equal(404);
    });
  });
});

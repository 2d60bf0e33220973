// Item 6: the webhook is down. Its configuration (the manifests' entry, own namespace label) is
// registered while a webhook serves it, then the server is shut down. With failurePolicy Fail a
// labelled Job is refused and nothing is stored; with Ignore the bare Job is stored, but being
// suspended it never gets a Pod.
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { WebhookServer } from "../../../webhook/server/server.ts";
import { jobsPath } from "../support/api.ts";
import { createNamespace, deleteNamespace, waitForDefaultServiceAccount } from "../support/namespaces.ts";
import { EXTRA_LABEL } from "./helpers/env.ts";
import { bareJob, containersOf, podSpecOf, podsOfJob } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import {
  agentifyWebhookEntry, deleteMutatingWebhookConfiguration, isAgentified, putMutatingWebhookConfiguration,
  waitUntilAdmittedBare, waitUntilAgentified, waitUntilWebhookFails,
} from "./helpers/registration.ts";

const CONFIG_NAME = "agentify-e2e-down";
const LABEL: [string, string] = [EXTRA_LABEL, "down"];

describe("webhook e2e: the webhook is down", () => {
  let installed: Installed;
  let ns: string;
  let server: WebhookServer | undefined;
  let entry: (failurePolicy: "Fail" | "Ignore") => JsonObject;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    const { api, caBundle } = installed.env;
    ns = await createNamespace(api, "e2e-down", { [LABEL[0]]: LABEL[1] });
    await waitForDefaultServiceAccount(api, ns);
    const up = await installed.env.startAgentify(installed.env.config);
    server = up;
    entry = (failurePolicy) => agentifyWebhookEntry(installed.webhookEntry, { url: up.mutateUrl, caBundle, namespaceLabel: LABEL, failurePolicy });
    await putMutatingWebhookConfiguration(api, CONFIG_NAME, [entry("Fail")]);
    await waitUntilAgentified(api, ns); // it works while the server is up
    await server.close();
    server = undefined;
  });

  after(async () => {
    await server?.close();
    if (!installed) return;
    await deleteMutatingWebhookConfiguration(installed.env.api, CONFIG_NAME);
    if (ns) await deleteNamespace(installed.env.api, ns);
  });

  it("with failurePolicy Fail refuses a labelled Job with a clear error, and stores nothing", async () => {
    const { api } = installed.env;
    await waitUntilWebhookFails(api, ns);
    const job = bareJob({ namespace: ns, name: "refused" });
    const res = await api.request("POST", jobsPath(ns), { body: job });
    expect(res.status).to.equal(500);
    const message = String(res.body["message"]);
    expect(message).to.contain('failed calling webhook "jobs.agentify.buildkite.com"');
    expect(message).to.contain("/mutate/jobs");
    expect(message).to.contain("connection refused");
    expect((await api.request("GET", `${jobsPath(ns)}/refused`)).status).to.equal(404);
    expect((await api.get(jobsPath(ns)))["items"]).to.deep.equal([]);
  });

  it("with failurePolicy Ignore stores the bare Job, which stays suspended and gets no Pod", async function () {
    this.timeout(60_000);
    const { api } = installed.env;
    await putMutatingWebhookConfiguration(api, CONFIG_NAME, [entry("Ignore")]);
    await waitUntilAdmittedBare(api, ns);
    const job = bareJob({ namespace: ns, name: "ignored" });
    const stored = await api.create(jobsPath(ns), job);
    expect(isAgentified(stored)).to.equal(false);
    expect((stored["spec"] as JsonObject)["suspend"]).to.equal(true);
    expect(containersOf(podSpecOf(stored)).map((c) => c["name"])).to.deep.equal(containersOf(podSpecOf(job)).map((c) => c["name"]));
    expect(podSpecOf(stored)["initContainers"]).to.equal(undefined);
    await sleep(5_000);
    expect(await podsOfJob(api, ns, "ignored")).to.deep.equal([]);
    const now = await api.get(`${jobsPath(ns)}/ignored`);
    expect((now["spec"] as JsonObject)["suspend"]).to.equal(true);
    expect((now["status"] as JsonObject | undefined)?.["active"] ?? 0).to.equal(0);
  });
});

// Item 4: every golden agentified object of the core passes the apiserver's own validation: a
// server-side dry-run create with strict field validation (an unknown or duplicated field is an
// error, not a dropped value), in a namespace no webhook serves, so the apiserver judges
// agentify's output itself.
import { existsSync, readFileSync } from "node:fs";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { parseDocuments } from "../../../webhook/render/render.ts";
import { goldenCases } from "../../golden/load.ts";
import { jobsPath } from "../support/api.ts";
import { createNamespace, deleteNamespace } from "../support/namespaces.ts";
import { containersOf, names, podSpecOf } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { admissionCounts, countDelta } from "./helpers/metrics.ts";

const COLLECTIONS: Readonly<Record<string, (ns: string) => string>> = {
  Job: jobsPath,
  ConfigMap: (ns) => `/api/v1/namespaces/${ns}/configmaps`,
};

interface GoldenObject {
  source: string;
  object: JsonObject;
}

function goldenObjects(): GoldenObject[] {
  return goldenCases()
    .filter((c) => existsSync(c.agentifiedPath))
    .flatMap((c) => parseDocuments(readFileSync(c.agentifiedPath, "utf8"), c.agentifiedPath).map((doc, i) => ({
      source: `${c.name} #${i + 1}`,
      object: doc as JsonObject,
    })));
}

describe("webhook e2e: golden agentified objects pass the apiserver's validation", () => {
  const objects = goldenObjects();
  let installed: Installed;
  let ns: string;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    ns = await createNamespace(installed.env.api, "e2e-golden");
  });

  after(async () => {
    if (ns) await deleteNamespace(installed.env.api, ns);
  });

  it("has golden agentified Jobs to check", () => {
    expect(objects.filter((o) => o.object["kind"] === "Job").length).to.be.at.least(25);
  });

  it("admits every one of them on a strict server-side dry run, unchanged by any webhook", async function () {
    this.timeout(120_000);
    const { api, webhook } = installed.env;
    const before = await admissionCounts(webhook);
    const rejections: string[] = [];
    for (const { source, object } of objects) {
      const kind = String(object["kind"]);
      const collection = COLLECTIONS[kind];
      if (!collection) {
        rejections.push(`${source}: no collection known for kind ${kind}`);
        continue;
      }
      const body = { ...object, metadata: { ...(object["metadata"] as JsonObject), namespace: ns } };
      const res = await api.request("POST", `${collection(ns)}?dryRun=All&fieldValidation=Strict`, { body });
      if (res.status !== 201) {
        rejections.push(`${source}: HTTP ${res.status}: ${String(res.body["message"] ?? res.text)}`);
        continue;
      }
      if (kind === "Job") {
        for (const field of ["initContainers", "containers"] as const) {
          const sent = names(containersOf(podSpecOf(object), field));
          const admitted = names(containersOf(podSpecOf(res.body), field));
          if (sent.join() !== admitted.join()) rejections.push(`${source}: ${field} changed from ${sent.join()} to ${admitted.join()}`);
        }
      }
    }
    expect(rejections).to.deep.equal([]);
    expect(countDelta(before, await admissionCounts(webhook)), "webhook calls").to.deep.equal({});
  });
});

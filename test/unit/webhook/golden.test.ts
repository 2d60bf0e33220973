// Every golden case through the HTTP path: each document of the input is sent as the
// AdmissionReview the apiserver would send for it, the answer's patch is applied to it
// (fast-json-patch, validating), and the result must equal the golden agentified document;
// the patches must be byte-for-byte the golden patch, and refused inputs must be denied with
// the golden error's message. Each agentified result is reviewed again and must pass unpatched.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import jsonPatch from "fast-json-patch";
import type { Config, JsonObject, JsonValue } from "../../../webhook/core/index.ts";
import { parseDocuments } from "../../../webhook/render/render.ts";
import { goldenCases } from "../../golden/load.ts";
import type { GoldenCase } from "../../golden/load.ts";
import { decodeAnswer, jobReview, postReview, removeTempDirs, startTestWebhook, testCa } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The kind and resource the apiserver would name for a document (good enough for Jobs and core kinds). */
function reviewFor(doc: JsonValue, index: number): JsonObject {
  const object = isObject(doc) ? doc : {};
  const [group, version] = String(object["apiVersion"] ?? "batch/v1").includes("/") ? String(object["apiVersion"]).split("/") : ["", String(object["apiVersion"])];
  const kind = String(object["kind"] ?? "Job");
  const metadata = isObject(object["metadata"] ?? null) ? (object["metadata"] as JsonObject) : {};
  return jobReview({
    uid: `golden-${index}`,
    // A namespace-less document goes out as a replayed review without one (the apiserver always
    // fills it in): the webhook would otherwise default it, which changes the input hash in
    // the status annotation, and the goldens are rendered offline without a namespace.
    namespace: typeof metadata["namespace"] === "string" ? metadata["namespace"] : "",
    kind: { group: group!, version: version!, kind },
    resource: { group: group!, version: version!, resource: `${kind.toLowerCase()}s` },
    object: doc,
  });
}

function isJob(doc: JsonValue): boolean {
  return isObject(doc) && doc["kind"] === "Job" && (doc["apiVersion"] === "batch/v1" || doc["apiVersion"] === undefined);
}

describe("golden cases through POST /mutate/jobs", function () {
  this.timeout(60_000);
  const cases = goldenCases();
  const webhooks = new Map<Config, TestWebhook>();
  let agent: Agent;

  before(async () => {
    agent = new Agent({ keepAlive: true, ca: testCa().cert });
    for (const c of cases) if (!webhooks.has(c.config)) webhooks.set(c.config, await startTestWebhook({ config: c.config }, "warn"));
  });
  after(async () => {
    agent.destroy();
    for (const test of webhooks.values()) await test.webhook.close();
    removeTempDirs();
  });

  it("has golden cases to run", () => {
    assert.ok(cases.length >= 25, `${cases.length} cases`);
  });

  const run = async (c: GoldenCase): Promise<void> => {
    const test = webhooks.get(c.config)!;
    const inputs = parseDocuments(c.inputText, c.source);
    const refused = existsSync(c.errorPath) ? readFileSync(c.errorPath, "utf8") : undefined;
    const outputs: JsonValue[] = [];
    const patches: string[] = [];
    let denial: string | undefined;
    for (const [i, doc] of inputs.entries()) {
      // The apiserver only sends objects; a non-object document cannot reach a webhook.
      if (!isObject(doc)) {
        outputs.push(doc);
        continue;
      }
      const answer = decodeAnswer(await postReview(test.webhook.url, reviewFor(doc, i), { agent }));
      assert.equal(answer.response.uid, `golden-${i}`);
      if (!answer.response.allowed) {
        assert.equal(answer.response.status?.code, 400);
        denial ??= answer.response.status?.message;
        continue;
      }
      const ops = (answer.patch ?? []) as jsonPatch.Operation[];
      const patched = jsonPatch.applyPatch(structuredClone(doc), ops, true).newDocument;
      outputs.push(patched);
      if (isJob(doc)) patches.push(`${JSON.stringify(ops, null, 2)}\n`);
      if (ops.length > 0) {
        // Idempotent: the agentified Job, reviewed again (reinvocation), gets no patch.
        const again = decodeAnswer(await postReview(test.webhook.url, reviewFor(patched, i), { agent }));
        assert.equal(again.response.allowed, true);
        assert.equal(again.response.patch, undefined);
      }
    }
    if (refused !== undefined) {
      assert.ok(denial !== undefined, "the webhook must deny what the golden case refuses");
      assert.ok(refused.endsWith(`: ${denial}\n`), `denial ${JSON.stringify(denial)} is the golden error ${JSON.stringify(refused)}`);
      return;
    }
    assert.equal(denial, undefined);
    assert.deepEqual(outputs, parseDocuments(readFileSync(c.agentifiedPath, "utf8"), c.agentifiedPath));
    assert.equal(patches.join(""), readFileSync(c.patchPath, "utf8"));
  };

  for (const c of cases) it(c.name, () => run(c));
});

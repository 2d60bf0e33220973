// Property test over ≥ 10,000 generated and mutated request bodies sent to a live webhook on
// loopback: the server never crashes, never answers 5xx, and every answer is a well-formed
// AdmissionReview (HTTP 200, or a 4xx whose body is the same shape with uid ""). Patches in
// allowed answers must apply to the object that was sent.
import assert from "node:assert/strict";
import { Agent } from "node:https";
import fc from "fast-check";
import jsonPatch from "fast-json-patch";
import type { JsonObject, JsonValue } from "../../../webhook/core/index.ts";
import { JOB_UUID, jobReview, postReview, removeTempDirs, send, startTestWebhook, testCa } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

const RUNS = 10_000;
const TIME_LIMIT_MS = 120_000;

const str = fc.string({ maxLength: 12 });
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 3 });
/** Mostly `usual`, sometimes `odd`: most bodies get deep into the core, some probe its edges. */
const mostly = <T, U>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<U>, weight = 30): fc.Arbitrary<T | U> =>
  fc.oneof({ weight, arbitrary: usual }, { weight: 1, arbitrary: odd });
const junk = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;

const envVar = fc.record(
  { name: mostly(fc.constantFrom("FOO_TOKEN", "PATH", "BUILDKITE_COMMAND", "HOME", "GOFLAGS"), str), value: str, valueFrom: fc.constant({ secretKeyRef: { name: "s", key: "k" } }) },
  { requiredKeys: ["name"] },
);
const container = fc.record(
  {
    name: mostly(fc.constantFrom("build", "test", "lint"), fc.oneof(fc.constantFrom("agent", "checkout", "imagecheck-0", "copy-agent", ""), str)),
    image: mostly(fc.constantFrom("alpine:3.20", "golang:1.26", "ghcr.io/x/y@sha256:" + "a".repeat(64)), fc.oneof(fc.constantFrom("UPPER:case", ""), str)),
    command: mostly(fc.constantFrom(["make", "test"], ["sh", "-c", "echo hi"]), fc.oneof(fc.array(str, { maxLength: 2 }), junk)),
    args: mostly(fc.array(str, { maxLength: 2 }), junk),
    env: mostly(fc.array(envVar, { maxLength: 4 }), junk),
    volumeMounts: mostly(fc.array(fc.record({ name: fc.constantFrom("data", "cache"), mountPath: fc.constantFrom("/data", "/cache") }), { maxLength: 1 }), junk),
  },
  { requiredKeys: ["name", "image", "command"] },
);
const podSpecPatch = fc.record({ containers: fc.array(fc.record({ name: fc.constantFrom("build", "agent", "x"), image: str, command: fc.array(str, { maxLength: 1 }) }, { requiredKeys: ["name"] }), { maxLength: 2 }) });
const plugin = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('{"checkout":{"skip":true}}', '{"sidecars":[{"image":"redis:7","env":[{"name":"FOO_TOKEN","value":"x"}]}]}') },
  podSpecPatch.map((p) => JSON.stringify({ podSpecPatch: p })),
  str,
  fc.json({ maxDepth: 2 }),
);
const annotations = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.record({ "buildkite.com/kubernetes-plugin": plugin, "buildkite.com/agent-query-rules": mostly(fc.constant('["queue=default","os=linux"]'), str, 3) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ "buildkite.com/agentified": str }) },
);
const labels = mostly(
  fc.constant({ "buildkite.com/job-uuid": JOB_UUID }),
  fc.oneof(fc.record({ "buildkite.com/job-uuid": fc.oneof(fc.uuid(), str) }), fc.dictionary(str, str, { maxKeys: 2 }), junk),
  6,
);
const job = fc.record(
  {
    apiVersion: fc.constant("batch/v1"),
    kind: mostly(fc.constant("Job"), fc.constant("Pod")),
    metadata: mostly(fc.record({ generateName: fc.constant("bk-"), name: str, namespace: fc.constantFrom("ci", ""), labels, annotations: mostly(annotations, junk) }, { requiredKeys: ["labels", "generateName"] }), junk, 40),
    spec: mostly(fc.record({
      template: mostly(fc.record({
        spec: mostly(fc.record({ containers: mostly(fc.uniqueArray(container, { minLength: 1, maxLength: 3, selector: (c) => c.name }), fc.oneof(fc.constant([]), fc.array(container, { maxLength: 3 }), junk)), initContainers: fc.array(container.map((c) => ({ ...c, name: `init-${c.name}` })), { maxLength: 1 }), restartPolicy: fc.constant("Never") }, { requiredKeys: ["containers", "restartPolicy"] }), junk, 40),
      }), junk, 40),
    }), junk, 40),
  },
  { requiredKeys: ["apiVersion", "kind", "metadata", "spec"] },
);
const review = fc.record({
  apiVersion: mostly(fc.constantFrom("admission.k8s.io/v1", "admission.k8s.io/v1beta1"), str, 20),
  uid: mostly(fc.uuid(), fc.oneof(fc.constant(""), fc.integer()), 20),
  operation: mostly(fc.constant("CREATE"), fc.constantFrom("UPDATE", "DELETE", "CONNECT"), 6),
  dryRun: fc.boolean(),
  subResource: maybe(mostly(fc.constant(""), fc.constant("status"), 3)),
  kind: mostly(fc.constant({ group: "batch", version: "v1", kind: "Job" }), fc.record({ group: str, version: str, kind: str }), 20),
  object: mostly(job, junk, 20),
}).map(({ apiVersion, uid, operation, dryRun, subResource, kind, object }) => {
  const body = jobReview({ operation, dryRun, kind: kind as JsonObject, object: object as JsonValue, ...(subResource === undefined ? {} : { subResource }) });
  body["apiVersion"] = apiVersion;
  (body["request"] as JsonObject)["uid"] = uid;
  return JSON.stringify(body);
});

/** Byte-level damage to a valid body: truncation, insertion, deletion, replacement. */
const mutation = fc.oneof(
  fc.record({ at: fc.nat(), cut: fc.constant(true as const) }),
  fc.record({ at: fc.nat(), insert: fc.string({ unit: "binary", maxLength: 4 }) }),
  fc.record({ at: fc.nat(), remove: fc.integer({ min: 1, max: 8 }) }),
);
type Mutation = { at: number; cut: true } | { at: number; insert: string } | { at: number; remove: number };
function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if ("cut" in m) out = out.slice(0, at);
    else if ("insert" in m) out = out.slice(0, at) + m.insert + out.slice(at);
    else out = out.slice(0, at) + out.slice(at + m.remove);
  }
  return out;
}
const mutated = fc.tuple(review, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([text, ms]) => mutate(text, ms as Mutation[]));

const contentType = fc.oneof({ weight: 20, arbitrary: fc.constant("application/json") }, fc.constantFrom("text/plain", "application/yaml", "application/JSON; charset=utf-8", ""));
const body = fc.oneof({ weight: 6, arbitrary: review }, { weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) });

interface Sent {
  uid?: string;
  apiVersion?: string;
  object?: JsonValue;
}

/** What the request claimed, when it parses at all. */
function sent(text: string): Sent {
  try {
    const parsed = JSON.parse(text) as { apiVersion?: unknown; request?: { uid?: unknown; object?: JsonValue } };
    const out: Sent = {};
    if (typeof parsed?.request?.uid === "string") out.uid = parsed.request.uid;
    if (typeof parsed?.apiVersion === "string") out.apiVersion = parsed.apiVersion;
    if (parsed?.request?.object !== undefined) out.object = parsed.request.object;
    return out;
  } catch {
    return {};
  }
}

function checkAnswer(status: number, text: string, sentText: string, type: string): void {
  // What the server saw: lone surrogates in the generated string become U+FFFD in UTF-8.
  const request = Buffer.from(sentText, "utf8").toString("utf8");
  assert.ok(status === 200 || (status >= 400 && status < 500), `HTTP ${status}`);
  const answer = JSON.parse(text) as { apiVersion: string; kind: string; response: { uid: unknown; allowed: unknown; status?: { code: number }; patch?: string; patchType?: string } };
  assert.ok(answer.apiVersion === "admission.k8s.io/v1" || answer.apiVersion === "admission.k8s.io/v1beta1");
  assert.equal(answer.kind, "AdmissionReview");
  assert.equal(typeof answer.response.uid, "string");
  assert.equal(typeof answer.response.allowed, "boolean");
  assert.equal(answer.response.patch === undefined, answer.response.patchType === undefined, "patch and patchType together");
  assert.notEqual(answer.response.status?.code, 500, `internal error: ${text}`);
  if (status !== 200) {
    assert.equal(answer.response.uid, "");
    assert.equal(answer.response.allowed, false);
    assert.equal(answer.response.status?.code, status);
    return;
  }
  const claimed = sent(request);
  const typeOk = type.split(";")[0]!.trim().toLowerCase() === "application/json";
  if (typeOk && claimed.uid) assert.equal(answer.response.uid, claimed.uid, "uid echoed");
  if (typeOk && claimed.uid && (claimed.apiVersion === "admission.k8s.io/v1beta1" || claimed.apiVersion === "admission.k8s.io/v1")) {
    assert.equal(answer.apiVersion, claimed.apiVersion, "apiVersion echoed");
  }
  if (answer.response.allowed === false) assert.equal(typeof answer.response.status?.code, "number");
  if (answer.response.patch !== undefined) {
    assert.equal(answer.response.allowed, true);
    const ops = JSON.parse(Buffer.from(answer.response.patch, "base64").toString("utf8")) as jsonPatch.Operation[];
    assert.ok(Array.isArray(ops) && ops.length > 0);
    jsonPatch.applyPatch(structuredClone(claimed.object), ops, true);
  }
}

describe("webhook fuzz: generated and mutated bodies", function () {
  this.timeout(TIME_LIMIT_MS + 30_000);
  let test: TestWebhook;
  let agent: Agent;
  before(async () => {
    test = await startTestWebhook({}, "fatal");
    agent = new Agent({ keepAlive: true, ca: testCa().cert, maxSockets: 1 });
  });
  after(async () => {
    agent.destroy();
    await test.webhook.close();
    removeTempDirs();
  });

  it(`answers ${RUNS} bodies with well-formed AdmissionReviews and stays up`, async () => {
    let runs = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(body, contentType, async (text, type) => {
        runs++;
        const res = await postReview(test.webhook.url, text, { agent, contentType: type });
        checkAnswer(res.status, res.text, text, type);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true, seed: Number(process.env["FUZZ_SEED"] ?? Date.now() % 2 ** 31) },
    );
    assert.ok(runs >= RUNS, `${runs} runs`);
    const health = await send(test.webhook.url, undefined, { method: "GET", path: "/healthz", contentType: null });
    assert.equal(health.status, 200);
    const text = await (await fetch(test.webhook.metricsUrl)).text();
    assert.match(text, /agentify_webhook_admissions_total\{result="error",reason="internal"\} 0\n/);
    // Visible in the mocha output: the time (before the limit bites) and how the bodies fared,
    // so a generator drifting into "everything is rejected early" is noticed.
    const outcomes = [...text.matchAll(/^agentify_webhook_admissions_total\{result="(\w+)",reason="([^"]*)"\} (\d+)$/gm)]
      .filter(([, , , count]) => count !== "0")
      .map(([, result, reason, count]) => `${result}/${reason} ${count}`);
    console.log(`      ${runs} bodies in ${Date.now() - started} ms: ${outcomes.join(", ")}`);
  });
});

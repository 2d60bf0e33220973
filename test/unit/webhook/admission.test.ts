// HTTP-layer table tests for POST /mutate/jobs: every transport rule, the gate, the core's
// three outcomes and the 500 path, each with its exact answer bytes and HTTP status.
import assert from "node:assert/strict";
import jsonPatch from "fast-json-patch";
import { defaultConfig, patchFor, tryAgentify } from "../../../webhook/core/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { agentifyCore } from "../../../webhook/server/server.ts";
import {
  JOB_UUID, auditLines, bareJob, decodeAnswer, jobReview, postReview, removeTempDirs, send, startTestWebhook,
} from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

const UID = "705ab4f5-6393-11e8-b7cc-42010a800002";
const V1 = "admission.k8s.io/v1";

function answer(uid: string, response: string, apiVersion = V1): string {
  return `{"apiVersion":"${apiVersion}","kind":"AdmissionReview","response":{"uid":"${uid}",${response}}}`;
}
const ALLOWED = (uid = UID, apiVersion = V1): string => answer(uid, `"allowed":true`, apiVersion);
function failure(uid: string, code: number, reason: string, message: string, apiVersion = V1): string {
  return answer(uid, `"allowed":false,"status":{"status":"Failure","code":${code},"reason":"${reason}","message":${JSON.stringify(message)}}`, apiVersion);
}
function agentifiedAnswer(object: JsonObject, uid = UID, apiVersion = V1): string {
  const outcome = tryAgentify(object, defaultConfig());
  assert.equal(outcome.result, "agentified");
  const patch = Buffer.from(JSON.stringify(patchFor(object, outcome.result === "agentified" ? outcome.job : object))).toString("base64");
  return answer(uid, `"allowed":true,"patchType":"JSONPatch","patch":"${patch}","auditAnnotations":{"job-uuid":"${JOB_UUID}"}`, apiVersion);
}

interface Case {
  name: string;
  body: () => string | Buffer;
  contentType?: string | null;
  status: number;
  expected: () => string;
  result: string;
  reason: string;
}

const job = bareJob();
const badUuidJob = bareJob({ labels: { "buildkite.com/job-uuid": "not-a-uuid" } });
function deniedMessage(object: JsonObject): string {
  const outcome = tryAgentify(object, defaultConfig());
  assert.equal(outcome.result, "denied");
  return outcome.result === "denied" ? outcome.message : "";
}
const json = (value: unknown): string => JSON.stringify(value);
const MIB7 = 7 * 1024 * 1024;

const cases: Case[] = [
  {
    name: "wrong content type → 415, uid unknown",
    body: () => json(jobReview()), contentType: "text/plain", status: 415, result: "error", reason: "unsupported-media-type",
    expected: () => failure("", 415, "UnsupportedMediaType", "contentType=text/plain, expected application/json"),
  },
  {
    name: "no content type → 415",
    body: () => json(jobReview()), contentType: null, status: 415, result: "error", reason: "unsupported-media-type",
    expected: () => failure("", 415, "UnsupportedMediaType", "contentType=, expected application/json"),
  },
  {
    name: "application/json with charset is accepted",
    body: () => json(jobReview()), contentType: "application/json; charset=utf-8", status: 200, result: "agentified", reason: "agentified",
    expected: () => agentifiedAnswer(job),
  },
  {
    name: "body of 7 MiB + 1 byte → 413",
    body: () => Buffer.alloc(MIB7 + 1, 0x20), status: 413, result: "error", reason: "too-large",
    expected: () => failure("", 413, "RequestEntityTooLarge", `request entity is too large; limit is ${MIB7} bytes`),
  },
  {
    name: "body of exactly 7 MiB is read (padded review)",
    body: () => { const text = json(jobReview()); return text + " ".repeat(MIB7 - text.length); },
    status: 200, result: "agentified", reason: "agentified", expected: () => agentifiedAnswer(job),
  },
  {
    name: "empty body → 400",
    body: () => "", status: 400, result: "error", reason: "empty-body",
    expected: () => failure("", 400, "BadRequest", "request body is empty"),
  },
  {
    name: "invalid JSON → 400",
    body: () => `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"${UID}"`, status: 400, result: "error", reason: "invalid-json",
    expected: () => failure("", 400, "BadRequest", "request body is not valid JSON"),
  },
  {
    name: "JSON that is not an object → 400",
    body: () => "[1,2,3]", status: 400, result: "error", reason: "invalid-review",
    expected: () => failure("", 400, "BadRequest", "request body is not a JSON object"),
  },
  {
    name: "no request → 400",
    body: () => json({ apiVersion: V1, kind: "AdmissionReview" }), status: 400, result: "error", reason: "invalid-review",
    expected: () => failure("", 400, "BadRequest", "AdmissionReview has no request"),
  },
  {
    name: "request without uid → 400",
    body: () => { const review = jobReview(); delete (review["request"] as JsonObject)["uid"]; return json(review); },
    status: 400, result: "error", reason: "missing-uid", expected: () => failure("", 400, "BadRequest", "AdmissionReview request has no uid"),
  },
  {
    name: "request with a numeric uid → 400 (uid must be a string)",
    body: () => json({ ...jobReview(), request: { ...(jobReview()["request"] as JsonObject), uid: 42 } }),
    status: 400, result: "error", reason: "missing-uid", expected: () => failure("", 400, "BadRequest", "AdmissionReview request has no uid"),
  },
  {
    name: "unknown apiVersion with a uid → HTTP 200, uid echoed, answered in v1",
    body: () => json(jobReview({ apiVersion: "admission.k8s.io/v2" })), status: 200, result: "error", reason: "invalid-review",
    expected: () => failure(UID, 400, "BadRequest", `unsupported apiVersion "admission.k8s.io/v2", expected admission.k8s.io/v1 or admission.k8s.io/v1beta1`),
  },
  {
    name: "kind other than AdmissionReview → 400 with uid",
    body: () => json({ ...jobReview(), kind: "ConversionReview" }), status: 200, result: "error", reason: "invalid-review",
    expected: () => failure(UID, 400, "BadRequest", `unsupported kind "ConversionReview", expected AdmissionReview`),
  },
  {
    name: "CREATE Job without an object → 400 with uid",
    body: () => json(jobReview({ object: null })), status: 200, result: "error", reason: "invalid-review",
    expected: () => failure(UID, 400, "BadRequest", "request.object is not a JSON object"),
  },
  {
    name: "a Pod is allowed unchanged (kind checked before the object is decoded)",
    body: () => json(jobReview({ kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, object: { kind: "Pod" } })),
    status: 200, result: "unchanged", reason: "not-a-job", expected: () => ALLOWED(),
  },
  {
    name: "batch/v1 Job through another resource is allowed unchanged",
    body: () => json(jobReview({ resource: { group: "batch", version: "v1", resource: "cronjobs" } })),
    status: 200, result: "unchanged", reason: "not-jobs-resource", expected: () => ALLOWED(),
  },
  {
    name: "status subresource is allowed unchanged",
    body: () => json(jobReview({ subResource: "status" })), status: 200, result: "unchanged", reason: "subresource", expected: () => ALLOWED(),
  },
  {
    name: "UPDATE is allowed unchanged (pod template is immutable)",
    body: () => json(jobReview({ operation: "UPDATE" })), status: 200, result: "unchanged", reason: "not-create", expected: () => ALLOWED(),
  },
  {
    name: "DELETE is allowed unchanged",
    body: () => json(jobReview({ operation: "DELETE", object: null })), status: 200, result: "unchanged", reason: "not-create", expected: () => ALLOWED(),
  },
  {
    name: "unlabelled Job is allowed unchanged, no patch",
    body: () => json(jobReview({ object: bareJob({ labels: { app: "x" } }) })), status: 200, result: "unchanged", reason: "not-labelled", expected: () => ALLOWED(),
  },
  {
    name: "already agentified Job is allowed unchanged",
    body: () => {
      const outcome = tryAgentify(job, defaultConfig());
      return json(jobReview({ object: outcome.result === "agentified" ? outcome.job : job }));
    },
    status: 200, result: "unchanged", reason: "already-agentified", expected: () => ALLOWED(),
  },
  {
    name: "labelled Job → agentified with a JSONPatch",
    body: () => json(jobReview()), status: 200, result: "agentified", reason: "agentified", expected: () => agentifiedAnswer(job),
  },
  {
    name: "dryRun Job is agentified the same way",
    body: () => json(jobReview({ dryRun: true })), status: 200, result: "agentified", reason: "agentified", expected: () => agentifiedAnswer(job),
  },
  {
    name: "v1beta1 request → v1beta1 answer",
    body: () => json(jobReview({ apiVersion: "admission.k8s.io/v1beta1" })), status: 200, result: "agentified", reason: "agentified",
    expected: () => agentifiedAnswer(job, UID, "admission.k8s.io/v1beta1"),
  },
  {
    name: "v1beta1 error answer keeps v1beta1",
    body: () => json(jobReview({ apiVersion: "admission.k8s.io/v1beta1", object: [] })), status: 200, result: "error", reason: "invalid-review",
    expected: () => failure(UID, 400, "BadRequest", "request.object is not a JSON object", "admission.k8s.io/v1beta1"),
  },
  {
    name: "invalid agentify input → denied, code 400, the core's message verbatim",
    body: () => json(jobReview({ object: badUuidJob })), status: 200, result: "denied", reason: "invalid-uuid",
    expected: () => failure(UID, 400, "BadRequest", deniedMessage(badUuidJob)),
  },
  {
    name: "Job without containers → denied",
    body: () => json(jobReview({ object: bareJob({ containers: [] }) })), status: 200, result: "denied", reason: "no-containers",
    expected: () => failure(UID, 400, "BadRequest", deniedMessage(bareJob({ containers: [] }))),
  },
];

describe("webhook HTTP: POST /mutate/jobs", function () {
  this.timeout(30_000);
  let test: TestWebhook;
  before(async () => {
    test = await startTestWebhook();
  });
  after(async () => {
    await test.webhook.close();
    removeTempDirs();
  });

  for (const c of cases) {
    it(c.name, async () => {
      const before = auditLines(test.log).length;
      const res = await postReview(test.webhook.url, c.body().toString(), { contentType: c.contentType === undefined ? "application/json" : c.contentType });
      assert.equal(res.text, c.expected());
      assert.equal(res.status, c.status);
      assert.equal(res.headers["content-type"], "application/json");
      const audits = auditLines(test.log).slice(before);
      assert.equal(audits.length, 1, "exactly one audit line per admission");
      assert.equal(audits[0]?.["result"], c.result);
      assert.equal(audits[0]?.["reason"], c.reason);
    });
  }

  it("routes on the path only: ?timeout=10s as sent by the apiserver", async () => {
    const res = await send(test.webhook.url, JSON.stringify(jobReview()), { path: "/mutate/jobs?timeout=10s" });
    assert.equal(res.text, agentifiedAnswer(job));
  });

  it("the patch turns the request object into the core's agentified Job", async () => {
    const res = decodeAnswer(await postReview(test.webhook.url, jobReview()));
    const outcome = tryAgentify(job, defaultConfig());
    assert.equal(outcome.result, "agentified");
    const patched = jsonPatch.applyPatch(structuredClone(job), res.patch as jsonPatch.Operation[], true).newDocument;
    assert.deepEqual(patched, outcome.result === "agentified" ? outcome.job : undefined);
  });

  it("defaults the namespace from request.namespace without adding it to the patch", async () => {
    const noNamespace = bareJob({ namespace: null });
    const res = decodeAnswer(await postReview(test.webhook.url, jobReview({ object: noNamespace, namespace: "team-a" })));
    assert.equal(res.response.allowed, true);
    assert.ok(!res.patch?.some((op) => op.path === "/metadata/namespace"), "no op on /metadata/namespace");
    const withNamespace = bareJob({ namespace: "team-a" });
    const outcome = tryAgentify(withNamespace, defaultConfig());
    assert.equal(outcome.result, "agentified");
    const patched = jsonPatch.applyPatch(structuredClone(noNamespace), res.patch as jsonPatch.Operation[], true).newDocument as JsonObject;
    (patched["metadata"] as JsonObject)["namespace"] = "team-a";
    assert.deepEqual(patched, outcome.result === "agentified" ? outcome.job : undefined);
  });

  it("GET /mutate/jobs → 405, unknown path → 404", async () => {
    const get = await send(test.webhook.url, undefined, { method: "GET", path: "/mutate/jobs", contentType: null });
    assert.equal(get.status, 405);
    assert.equal(get.headers["allow"], "POST");
    const missing = await send(test.webhook.url, "{}", { path: "/mutate/pods" });
    assert.equal(missing.status, 404);
  });
});

describe("webhook HTTP: an exception in the core", () => {
  let test: TestWebhook;
  before(async () => {
    test = await startTestWebhook({ core: { ...agentifyCore, tryAgentify: () => { throw new Error("boom"); } } });
  });
  after(async () => {
    await test.webhook.close();
    removeTempDirs();
  });

  it("becomes a well-formed 500 answer with the uid, never a dropped connection", async () => {
    const res = await postReview(test.webhook.url, jobReview());
    assert.equal(res.status, 200);
    assert.equal(res.text, failure(UID, 500, "InternalError", "internal error: boom"));
    const [line] = auditLines(test.log);
    assert.equal(line?.["result"], "error");
    assert.equal(line?.["reason"], "internal");
    assert.equal(line?.["level"], 50);
    assert.match(String((line?.["err"] as { stack?: string } | undefined)?.stack), /boom/);
  });

  it("keeps serving afterwards", async () => {
    const res = await postReview(test.webhook.url, jobReview({ operation: "UPDATE" }));
    assert.equal(res.text, ALLOWED());
  });

  it("a patchFor failure is a 500 answer too", async () => {
    const failing = await startTestWebhook({ core: { ...agentifyCore, patchFor: () => { throw new TypeError("cannot diff"); } } });
    try {
      const res = await postReview(failing.webhook.url, jobReview());
      assert.equal(res.text, failure(UID, 500, "InternalError", "internal error: cannot diff"));
    } finally {
      await failing.webhook.close();
    }
  });
});

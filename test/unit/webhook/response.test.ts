// The answer's bytes: the patch is spliced into an otherwise JSON.stringify'd answer, which
// must give exactly JSON.stringify's bytes whatever the uid, message or annotations hold.
import assert from "node:assert/strict";
import fc from "fast-check";
import { answerFor, encodeAnswer, patched, rejected } from "../../../webhook/server/response.ts";

describe("webhook answer encoding", () => {
  it("is JSON.stringify's output for patch answers with any uid and annotations", () => {
    fc.assert(fc.property(fc.string(), fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.dictionary(fc.string(), fc.string()), (uid, patch, annotations) => {
      const answer = answerFor("admission.k8s.io/v1", patched(uid, Buffer.from(patch), annotations));
      assert.equal(encodeAnswer(answer).toString("utf8"), JSON.stringify(answer));
      assert.deepEqual(encodeAnswer(answer), Buffer.from(JSON.stringify(answer), "utf8"));
    }), { numRuns: 300 });
  });

  it("is JSON.stringify's output for answers without a patch", () => {
    const answers = [answerFor("admission.k8s.io/v1beta1", patched("u", Buffer.alloc(0))), answerFor("admission.k8s.io/v1", rejected("u", 400, 'bad "patch":"" here'))];
    for (const answer of answers) assert.deepEqual(encodeAnswer(answer), Buffer.from(JSON.stringify(answer), "utf8"));
  });
});

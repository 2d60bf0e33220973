// The audit line's patch reuses the answer's JSON unless something in it needs masking; then it
// is the core's redaction. Either way it must say exactly what the core's redactPatch says, for
// every golden case and for generated patches full of secret-looking and ordinary env names.
import assert from "node:assert/strict";
import fc from "fast-check";
import { defaultConfig, parseConfig, patchFor, REDACTED, redactPatch, redactSecrets, tryAgentify } from "../../../webhook/core/index.ts";
import type { Config, JsonObject, JsonValue, PatchOperation } from "../../../webhook/core/index.ts";
import { parseDocuments } from "../../../webhook/render/render.ts";
import { auditPatchText, needsRedaction } from "../../../webhook/server/audit-patch.ts";
import { goldenCases } from "../../golden/load.ts";
import { bareJob } from "./helpers.ts";

const redaction = { redactPatch, redactSecrets, masked: REDACTED };

function assertSameAsCore(ops: PatchOperation[], target: JsonValue, config: Config): void {
  const text = JSON.stringify(ops);
  const audited = auditPatchText(ops, text, target, config, redaction);
  assert.equal(audited, JSON.stringify(redactPatch(ops, target, config)));
  if (!needsRedaction(ops, config, redaction)) assert.equal(audited, text, "reused, not serialized again");
}

const NAMES = ["PLAIN", "BUILDKITE_AGENT_TOKEN", "MY_API_KEY", "db_password", "X_SECRET", "SSH_KEY", "TOKEN", "A_TOKEN", "PATH", "FOO_PRIVATE_KEY", "CUSTOM_CRED"];

describe("webhook audit patch", () => {
  it("matches the core's redaction on every golden case", () => {
    let agentified = 0;
    for (const c of goldenCases()) {
      for (const doc of parseDocuments(c.inputText, c.source)) {
        if (doc === null || typeof doc !== "object" || Array.isArray(doc)) continue;
        const outcome = tryAgentify(doc, c.config);
        if (outcome.result !== "agentified") continue;
        agentified++;
        assertSameAsCore(patchFor(doc, outcome.job), outcome.job, c.config);
      }
    }
    assert.ok(agentified >= 20, `${agentified} agentified documents`);
  });

  it("matches the core's redaction on generated Jobs with secret and plain env, in containers and plugin sidecars", () => {
    const config = parseConfig("additional-redacted-vars: ['*_CRED']\n", "test");
    const env = fc.array(fc.record({ name: fc.constantFrom(...NAMES), value: fc.string({ maxLength: 12 }) }), { maxLength: 6 });
    fc.assert(fc.property(env, env, (jobEnv, sidecarEnv) => {
      const job = bareJob({ env: jobEnv.map((e, i) => ({ ...e, name: `${e.name}_${i}` })) });
      (job["metadata"] as JsonObject)["annotations"] = { "buildkite.com/kubernetes-plugin": JSON.stringify({ sidecars: [{ image: "redis:7", env: sidecarEnv }] }) };
      const outcome = tryAgentify(job, config);
      assert.equal(outcome.result, "agentified");
      if (outcome.result === "agentified") assertSameAsCore(patchFor(job, outcome.job), outcome.job, config);
    }), { numRuns: 150 });
  });

  it("masks a secret env value in the patch and reuses the text when nothing is secret", () => {
    const config = defaultConfig();
    const ops: PatchOperation[] = [{ op: "add", path: "/spec/x", value: [{ name: "MY_TOKEN", value: "s3cret" }, { name: "PLAIN", value: "ok" }] }];
    assert.ok(needsRedaction(ops, config, redaction));
    assert.ok(!auditPatchText(ops, JSON.stringify(ops), null, config, redaction).includes("s3cret"));
    const plain: PatchOperation[] = [{ op: "add", path: "/spec/x", value: [{ name: "PLAIN", value: "ok" }] }];
    assert.ok(!needsRedaction(plain, config, redaction));
  });

  it("leaves a bare `…/value` op to the core, which finds the name in the target", () => {
    const config = defaultConfig();
    const target = { env: [{ name: "MY_TOKEN", value: "s3cret" }] };
    const ops: PatchOperation[] = [{ op: "replace", path: "/env/0/value", value: "s3cret" }];
    const text = auditPatchText(ops, JSON.stringify(ops), target, config, redaction);
    assert.ok(!text.includes("s3cret"));
    assert.equal(text, JSON.stringify(redactPatch(ops, target, config)));
  });
});

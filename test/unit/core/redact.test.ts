import { expect } from "chai";
import type { JsonValue } from "../../../webhook/core/index.ts";
import { defaultConfig, parseConfig, patchFor, redactPatch, redactSecrets, REDACTED } from "../../../webhook/core/index.ts";

describe("redaction", () => {
  const config = parseConfig("additional-redacted-vars: ['*_CREDENTIALS']\n", "c.yaml");
  it("masks literal env values of secret-looking names, keeps references", () => {
    const env: JsonValue = [
      { name: "API_TOKEN", value: "s3cr3t" },
      { name: "REGISTRY_CREDENTIALS", value: "hunter2" },
      { name: "MODE", value: "ci" },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
    ];
    expect(redactSecrets({ env }, config)).to.deep.equal({
      env: [
        { name: "API_TOKEN", value: REDACTED },
        { name: "REGISTRY_CREDENTIALS", value: REDACTED },
        { name: "MODE", value: "ci" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      ],
    });
    expect(JSON.stringify(redactSecrets({ env }, defaultConfig()))).to.contain("hunter2");
  });

  it("masks a value replaced on its own in a patch", () => {
    const before = { env: [{ name: "X", value: "1" }] };
    const after = { env: [{ name: "API_TOKEN", value: "s3cr3t" }] };
    const masked = JSON.stringify(redactPatch(patchFor(before, after), after, config));
    expect(masked).not.to.contain("s3cr3t");
    expect(masked).to.contain(REDACTED);
  });
});

// Replays the differential cases (checked against apimachinery) and checks purity on each.
import { expect } from "chai";
import { strategicMergePodSpec } from "../../../webhook/core/smp/index.ts";
import { smpCases } from "./cases.ts";
import { containers, deepFreeze } from "./helpers.ts";

describe("smp: differential cases", () => {
  it("has at least 30 cases with distinct names", () => {
    expect(smpCases.length).to.be.at.least(30);
    expect(new Set(smpCases.map((c) => c.name)).size).to.equal(smpCases.length);
  });

  for (const c of smpCases) {
    it(c.name, () => {
      const original = deepFreeze(structuredClone(c.original));
      const patch = deepFreeze(structuredClone(c.patch));
      const result = strategicMergePodSpec(original, patch);
      expect(result).to.deep.equal(c.expected);
      // Pure: frozen inputs did not throw, and the result shares no object with them.
      const inputs = containers(patch, containers(original));
      for (const object of containers(result)) expect(inputs.has(object)).to.equal(false);
    });
  }
});

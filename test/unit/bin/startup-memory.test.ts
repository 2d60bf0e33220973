// agentify webhook and dispatcher give start-up's young generation back once they serve
// (see bin/startup-memory.ts).
import { expect } from "chai";
import { getHeapSpaceStatistics } from "node:v8";
import { releaseStartupMemory } from "../../../bin/startup-memory.ts";

function newSpaceBytes(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  if (space === undefined) throw new Error("V8 reports no new_space");
  return space.space_size;
}

describe("releaseStartupMemory", () => {
  it("shrinks a grown young generation, without leaving gc() exposed", () => {
    // Survivors of several scavenges make V8 grow the young generation, as module loading does.
    const live: object[][] = [];
    for (let i = 0; i < 100; i++) {
      live.push(Array.from({ length: 10_000 }, (_, x) => ({ x })));
      if (live.length > 10) live.length = 0;
    }
    live.length = 0;
    const grown = newSpaceBytes();
    const hadGc = "gc" in globalThis;
    releaseStartupMemory();
    expect(newSpaceBytes()).to.be.below(grown);
    expect("gc" in globalThis).to.equal(hadGc);
  });
});

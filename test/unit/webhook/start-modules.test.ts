// What `agentify webhook` loads before it serves: the modules its command imports, in a fresh
// process. Each package and Node internal checked here once cost the webhook megabytes of RSS
// (README, Benchmarks) without being needed.
import assert from "node:assert/strict";
import { modulesLoadedBy } from "../loaded-modules.ts";

describe("webhook: what it loads at start", function () {
  this.timeout(30_000);
  let urls: string[];
  let builtins: string[];
  before(async () => {
    // The modules webhook/server/command.ts imports to start, loaded as it loads them.
    ({ urls, builtins } = await modulesLoadedBy(["webhook/server/command.ts"]));
  });

  it("loads its own modules (the check sees them)", () => {
    assert.ok(urls.some((u) => u.endsWith("/webhook/server/server.ts")));
    assert.ok(urls.some((u) => u.endsWith("/webhook/core/validation/index.ts")));
    assert.ok(builtins.some((b) => b.includes("internal/http")), "node:http is there as a CommonJS module");
  });

  it("does not load undici, http2 or zlib, which an ES module import of node:http pulls in", () => {
    assert.deepEqual(builtins.filter((b) => /undici|http2|zlib/.test(b)), []);
  });

  it("does not load zod, express, prom-client, node-forge, got or client-node", () => {
    const names = new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((n) => n !== undefined));
    for (const name of ["zod", "express", "prom-client", "node-forge", "got", "@kubernetes/client-node", "fast-json-patch"]) assert.ok(!names.has(name), name);
  });
});

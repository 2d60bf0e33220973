// What `agentify dispatcher` loads before it dispatches anything: the modules its command
// imports, in a fresh process. Each of the packages and Node internals checked here once cost
// the dispatcher megabytes of RSS (README, Benchmarks) without being needed.
import assert from "node:assert/strict";
import { modulesLoadedBy } from "../loaded-modules.ts";

describe("dispatcher: what it loads at start", function () {
  this.timeout(30_000);
  let urls: string[];
  let builtins: string[];
  before(async () => {
    // The modules dispatcher/command.ts imports to start.
    ({ urls, builtins } = await modulesLoadedBy(["dispatcher/command.ts", "dispatcher/settings/resolve.ts", "dispatcher/logger.ts", "dispatcher/start.ts"]));
  });

  it("loads its own modules (the check sees them)", () => {
    assert.ok(urls.some((u) => u.endsWith("/dispatcher/start.ts")));
    assert.ok(urls.some((u) => u.endsWith("/dispatcher/api/http-attempt.ts")));
    assert.ok(builtins.some((b) => b.includes("internal/http")), "node:http is there as a CommonJS module");
  });

  it("does not load undici, which an ES module import of node:http pulls in (~8 MB)", () => {
    assert.deepEqual(builtins.filter((b) => /undici/.test(b)), []);
  });

  it("does not load client-node, got, express, prom-client, zlib or the webhook's and certs' packages", () => {
    const packages = urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(u)).filter((m) => m !== null);
    const names = new Set(packages.map((m) => m[1]));
    for (const name of ["got", "express", "prom-client", "fast-json-patch", "node-forge", "shell-quote"]) assert.ok(!names.has(name), name);
    assert.deepEqual(packages.filter((m) => m[1] === "@kubernetes/client-node").map((m) => m[2]), [], "client-node is a devDependency, not in the image");
    assert.ok(!builtins.some((b) => b === "NativeModule zlib"), "zlib is loaded for a compressed answer only");
  });
});

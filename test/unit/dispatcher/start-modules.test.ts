// What `agentify dispatcher` loads before it dispatches anything: the modules its command
// imports, in a fresh process. Each of the packages and Node internals checked here once cost
// the dispatcher megabytes of RSS (README, Benchmarks) without being needed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The modules dispatcher/command.ts imports to start, loaded as it loads them. */
const CHILD = `
import { registerHooks } from "node:module";
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
await Promise.all(["dispatcher/command.ts", "dispatcher/settings/resolve.ts", "dispatcher/logger.ts", "dispatcher/start.ts"]
  .map((file) => import(new URL(file, ${JSON.stringify(`file://${ROOT}`)}).href)));
console.log(JSON.stringify({ urls, builtins: process.moduleLoadList }));
`;

describe("dispatcher: what it loads at start", function () {
  this.timeout(30_000);
  let urls: string[];
  let builtins: string[];
  before(async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", CHILD], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    ({ urls, builtins } = JSON.parse(stdout) as { urls: string[]; builtins: string[] });
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

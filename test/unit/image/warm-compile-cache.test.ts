// The image's compile cache (bin/warm-compile-cache.ts, run when the image is built) must hold
// every module the long-running commands load, the ones they import lazily included: the cache is
// read-only in the container, and one module missing from it makes Node load its TypeScript
// stripper in every pod (measured for the dispatcher: 93.1 MB of RSS after loading its modules,
// against 73.0 MB with all of them in the cache; and a slower start).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { modulesLoadedBy, ROOT } from "../loaded-modules.ts";

const run = promisify(execFile);
/** What Node loads to strip types from a module the cache does not hold. */
const STRIPPER = "internal/deps/amaro";

/** A command's module and every local module it imports with `import("…")`, as repository paths. */
function commandModules(file: string): string[] {
  const source = readFileSync(join(ROOT, file), "utf8");
  const lazy = [...source.matchAll(/import\("(\.{1,2}\/[^"]+\.ts)"\)/g)].map((m) => join(dirname(file), m[1]!));
  return [file, ...lazy];
}

describe("the image's compile cache", function () {
  this.timeout(60_000);
  let cacheDir: string;
  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), "agentify-compile-cache-"));
    await run(process.execPath, [join(ROOT, "bin", "warm-compile-cache.ts")], { cwd: ROOT, env: { ...process.env, NODE_COMPILE_CACHE: cacheDir } });
  });
  after(() => rmSync(cacheDir, { recursive: true, force: true }));

  it("the check sees a module the cache does not hold", async () => {
    const { builtins } = await modulesLoadedBy(["test/unit/image/dockerfile.ts"], { ...process.env, NODE_COMPILE_CACHE: cacheDir });
    assert.ok(builtins.some((b) => b.includes(STRIPPER)), "a module outside the warm list needs the stripper");
  });

  for (const command of ["webhook/server/command.ts", "dispatcher/command.ts"]) {
    it(`holds ${command} and every module it imports lazily`, async () => {
      const files = commandModules(command);
      assert.ok(files.length > (command.startsWith("dispatcher") ? 4 : 0), `found ${files.join(", ")}`);
      const { builtins } = await modulesLoadedBy(files, { ...process.env, NODE_COMPILE_CACHE: cacheDir });
      assert.deepEqual(builtins.filter((b) => b.includes(STRIPPER)), [], `${files.join(", ")}: some module was not in the cache`);
    });
  }
});

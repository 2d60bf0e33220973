// The certs CLI as a real process: exact stderr bytes and exit codes. Runs the fixture
// entry (bin/agentify.ts's root settings with only `certs`), and bin/agentify.ts itself
// once every subcommand it imports exists.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/certs-cli.ts", import.meta.url));
const BIN = join(ROOT, "bin", "agentify.ts");

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

function node(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}

/** `only` limits the cases run (bin/agentify.ts loads every module, so it is slow to start). */
function suite(name: string, script: string, available: () => Promise<boolean>, only?: string[]): void {
  describe(`certs: ${name} as a process`, () => {
    const dir = mkdtempSync(join(tmpdir(), "agentify-certs-cli-"));
    const missing = join(dir, "missing");
    const notDir = join(dir, "file");
    const empty = join(dir, "empty");
    const good = join(dir, "good");
    const runs = new Map<string, Run>();
    const cases: Record<string, string[]> = {
      missingDir: ["certs", "rotate", "--out-dir", missing],
      notDir: ["certs", "ca-bundle", "--out-dir", notDir],
      noCa: ["certs", "rotate", "--out-dir", empty],
      noBundle: ["certs", "ca-bundle", "--out-dir", empty],
      badDays: ["certs", "rotate", "--out-dir", empty, "--days", "soon"],
      noService: ["certs", "generate", "--namespace", "agentify-system", "--out-dir", missing],
      unknown: ["certs", "ca-bundle", "--out-dir", empty, "--verbose"],
      generateHelp: ["certs", "generate", "--help"],
      rotateHelp: ["certs", "rotate", "--help"],
      caBundleHelp: ["certs", "ca-bundle", "--help"],
      bundle: ["certs", "ca-bundle", "--out-dir", good],
    };

    before(async function () {
      this.timeout(180_000); // process start-up dominates, and CI machines can be busy
      if (!(await available())) this.skip();
      writeFileSync(notDir, "");
      mkdirSync(empty);
      // The fixture makes the CA quickly; the script under test only reads it.
      const generated = await node(FIXTURE, ["certs", "generate", "--service", "agentify-webhook", "--namespace", "agentify-system", "--out-dir", good]);
      assert.equal(generated.code, 0, generated.stderr);
      // Independent processes: run them together to keep the suite quick.
      const selected = Object.entries(cases).filter(([key]) => !only || only.includes(key));
      await Promise.all(selected.map(async ([key, args]) => runs.set(key, await node(script, args))));
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    function test(key: string, title: string, check: () => void): void {
      if (!only || only.includes(key)) it(title, check);
    }

    function expectError(key: string, stderr: string): void {
      assert.deepEqual(runs.get(key), { stdout: "", stderr, code: 1 });
    }

    test("missingDir", "missing directory", () => expectError("missingDir", `error: certificate directory ${missing} does not exist\n`));
    test("notDir", "a file instead of a directory", () => expectError("notDir", `error: ${notDir} is not a directory\n`));
    test("noCa", "missing CA for rotate", () => expectError("noCa", `error: ${empty} has no ca.crt and ca.key to sign with; run \`agentify certs generate\` first\n`));
    test("noBundle", "missing ca.crt for ca-bundle", () => expectError("noBundle", `error: ${empty} has no ca.crt; run \`agentify certs generate\` first\n`));
    test("badDays", "bad --days, with the rotate usage", () => {
      expectError("badDays", `error: option '--days <n>' argument 'soon' is invalid. Expected a whole number of days, at least 1.\n\n${runs.get("rotateHelp")?.stdout}`);
    });
    test("noService", "missing --service, with the generate usage", () => {
      expectError("noService", `error: required option '--service <name>' not specified\n\n${runs.get("generateHelp")?.stdout}`);
    });
    test("unknown", "unknown option, with the ca-bundle usage", () => {
      expectError("unknown", `error: unknown option '--verbose'\n\n${runs.get("caBundleHelp")?.stdout}`);
    });
    test("bundle", "ca-bundle prints exactly one line on success", () => {
      const run = runs.get("bundle");
      assert.equal(run?.code, 0);
      assert.equal(run?.stderr, "");
      assert.match(run?.stdout ?? "", /^LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t[A-Za-z0-9+/]+=*\n$/);
    });
  });
}

suite("fixture entry", FIXTURE, async () => true);
suite("bin/agentify.ts", BIN, async () => (await node(BIN, ["certs", "--help"])).code === 0,
  ["missingDir", "noService", "generateHelp"]);

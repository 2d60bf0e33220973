// `make bench`: every benchmark in turn, each in its own process so none inherits another's heap
// or JIT state; each measures its own floor in the same run and prints PASS/FAIL per goal.
// The summary repeats the verdicts. `--strict` makes a FAIL exit non-zero.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BENCHES = ["core/bench.ts", "webhook/bench.ts", "admission/bench.ts", "dispatcher/bench.ts", "jobs/bench.ts"];
const strict = process.argv.includes("--strict");

function run(script: string): Promise<{ code: number; verdicts: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
    const verdicts: string[] = [];
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      process.stdout.write(chunk);
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      verdicts.push(...lines.filter((l) => /\b(PASS|FAIL)\b/.test(l)));
    });
    child.on("close", (code) => resolve({ code: code ?? 1, verdicts }));
  });
}

const summary: string[] = [];
let failed = false;
for (const bench of BENCHES) {
  process.stdout.write(`\n### ${bench}\n`);
  const { code, verdicts } = await run(bench);
  if (code !== 0) summary.push(`${bench}: exited ${code}`);
  summary.push(...verdicts.map((v) => `${bench}: ${v.trim()}`));
  failed ||= code !== 0 || verdicts.some((v) => /\bFAIL\b/.test(v));
}
process.stdout.write(`\n### summary\n${summary.join("\n")}\n`);
process.exitCode = strict && failed ? 1 : 0;

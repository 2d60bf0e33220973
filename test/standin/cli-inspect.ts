// `standin log|record|jobs|agents`: reads a running stand-in's controls and prints
// what a test or a person wants to see of a job.
//   node test/standin/cli.ts log <job-uuid> [--url http://127.0.0.1:8080]
//   node test/standin/cli.ts record <job-uuid> [--json]
import { Command } from "commander";
import { formatJobRecord } from "./job-record.ts";
import type { JobRecord } from "./job-record.ts";

async function control(url: string, path: string): Promise<Response> {
  const target = new URL(`/_standin${path}`, url);
  let res: Response;
  try {
    res = await fetch(target);
  } catch (err) {
    throw new Error(`cannot reach the stand-in at ${target.origin}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!res.ok) throw new Error(`${target.pathname}: ${res.status} ${await res.text()}`);
  return res;
}

export async function runInspect(argv: string[]): Promise<void> {
  const program = new Command()
    .name("standin")
    .description("Inspect a running stand-in through its /_standin controls")
    .option("--url <url>", "the stand-in's origin or API URL", "http://127.0.0.1:8080")
    .exitOverride();
  program.command("log <job>").description("print the job's log as the agent uploaded it")
    .option("--plain", "without the agent's inline timestamps and colours")
    .option("--detail", "print its chunks, duplicates and problems as JSON instead")
    .action(async (job: string, opts: { detail?: boolean; plain?: boolean }) => {
      const query = opts.detail ? "?detail=1" : opts.plain ? "?plain=1" : "";
      const res = await control(program.opts<{ url: string }>().url, `/jobs/${encodeURIComponent(job)}/log${query}`);
      process.stdout.write(opts.detail ? `${JSON.stringify(await res.json(), null, 2)}\n` : await res.text());
    });
  program.command("record <job>").description("print the job's Buildkite record: state, exit status, finish count, signal_reason")
    .option("--json", "as JSON")
    .action(async (job: string, opts: { json?: boolean }) => {
      const record = (await (await control(program.opts<{ url: string }>().url, `/jobs/${encodeURIComponent(job)}/record`)).json()) as JobRecord;
      console.log(opts.json ? JSON.stringify(record, null, 2) : formatJobRecord(record));
    });
  program.command("jobs").description("list jobs: uuid, state, label").action(async () => {
    const jobs = (await (await control(program.opts<{ url: string }>().url, "/jobs")).json()) as { id: string; state: string; label: string }[];
    for (const job of jobs) console.log(`${job.id}  ${job.state.padEnd(10)}  ${job.label}`);
  });
  program.command("agents").description("list registered agents (JSON, without tokens)").action(async () => {
    console.log(JSON.stringify(await (await control(program.opts<{ url: string }>().url, "/agents")).json(), null, 2));
  });
  await program.parseAsync(argv, { from: "user" });
}

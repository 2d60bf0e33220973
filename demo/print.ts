// How the demo shows things: one block per Buildkite job, from the webhook's audit line to the
// pod's phases, the job log the agent uploaded and the final Buildkite state.
import type { JobRecord } from "../test/standin/job-record.ts";

const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const colour = (ok: boolean, s: string) => (tty ? `\x1b[${ok ? 32 : 31}m${s}\x1b[0m` : s);

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function step(title: string): void {
  say(`\n${bold(`==> ${title}`)}`);
}

export interface AuditSummary {
  result: string;
  reason?: string;
  patchOps?: number;
  durationMs?: number;
  job?: string;
}

/** The command's own output: the log after the agent's last "Running commands" section header. */
export function commandOutput(plainLog: string, max = 6): string[] {
  const lines = plainLog.split("\n");
  let start = 0;
  lines.forEach((l, i) => {
    if (/^[~+-]{3} /.test(l) && /command/i.test(l)) start = i + 1;
  });
  return lines.slice(start).filter((l) => l.trim() !== "" && !/^[~+-]{3} /.test(l) && !l.startsWith("^^^")).slice(0, max);
}

export interface JobView {
  label: string;
  uuid: string;
  expect: "passed" | "failed";
  audit: AuditSummary | undefined;
  podName: string | undefined;
  phases: string[];
  record: JobRecord;
  log: string;
}

/** Buildkite's own words for a finished job: passed when it exited 0. */
export function outcome(r: JobRecord): "passed" | "failed" | "canceled" {
  if (r.state === "canceled") return "canceled";
  return r.exit_status === "0" ? "passed" : "failed";
}

export function printJob(v: JobView): boolean {
  const result = outcome(v.record);
  const ok = result === v.expect;
  say(`\n${bold(v.label)}  ${dim(`buildkite job ${v.uuid}`)}`);
  if (v.audit) {
    say(`  webhook audit: ${v.audit.result}${v.audit.reason && v.audit.reason !== v.audit.result ? ` (${v.audit.reason})` : ""}, ${String(v.audit.patchOps ?? 0)} patch ops, ${String(v.audit.durationMs ?? "?")} ms${v.audit.job ? `, Job ${v.audit.job}` : ""}`);
  } else {
    say("  webhook audit: (none seen)");
  }
  say(`  pod ${v.podName ?? "(none)"}: ${v.phases.join(" → ") || "(no phases seen)"}`);
  say("  job log (the command's output, as the agent uploaded it):");
  for (const line of commandOutput(v.log)) say(`    ${dim("|")} ${line}`);
  say(`  buildkite: ${v.record.state}, ${colour(ok, `${result} (exit ${v.record.exit_status ?? "?"})`)}${ok ? "" : `, but this step should have ${v.expect}`}`);
  return ok;
}

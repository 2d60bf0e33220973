// A job's Buildkite record as a test asserts it: final state, exit status, how many
// finishes were accepted (tests check "exactly one"), the agent's signal_reason,
// and the log's shape. Served by GET /_standin/jobs/:uuid/record and the CLI.
import type { LogSnapshot } from "./job-log.ts";
import { iso } from "./route-kit.ts";
import type { FinishAttempt, JobState, StandinJob } from "./types.ts";

export interface JobRecord {
  id: string;
  state: JobState;
  /** As Buildkite shows it: the agent's string, or the stack's number written as one. */
  exit_status: string | null;
  signal: string | null;
  signal_reason: string | null;
  chunks_failed_count: number | null;
  /** Finish requests accepted (by the agent or a stack): 1 for a job that ended once. */
  finish_count: number;
  finished_by: "agent" | "stack" | null;
  finish_attempts: FinishAttempt[];
  agent: { id: string; name: string } | null;
  acquired_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  log: LogSnapshot;
  history: { state: JobState; at: string; reason: string }[];
}

export function jobRecord(job: StandinJob, log: LogSnapshot): JobRecord {
  const run = job.agentRun;
  const exitStatus = run?.exitStatus ?? (job.finish ? String(job.finish.exitStatus) : null);
  return {
    id: job.id,
    state: job.state,
    exit_status: exitStatus,
    signal: run?.signal ?? null,
    signal_reason: run?.signalReason ?? null,
    chunks_failed_count: run?.chunksFailedCount ?? null,
    finish_count: job.finishAttempts.filter((a) => a.accepted).length,
    finished_by: job.finish?.by ?? null,
    finish_attempts: structuredClone(job.finishAttempts),
    agent: run ? { id: run.agentId, name: run.agentName } : null,
    acquired_at: run ? iso(run.acquiredAt) : null,
    started_at: run?.startedAt ? iso(run.startedAt) : null,
    finished_at: job.finishedAt === null ? null : iso(job.finishedAt),
    log,
    history: job.history.map((h) => ({ state: h.state, at: iso(h.at), reason: h.reason })),
  };
}

/** One line per fact, for the CLI and for test failure messages. */
export function formatJobRecord(record: JobRecord): string {
  const lines = [
    `job ${record.id}`,
    `  state:          ${record.state}`,
    `  exit status:    ${record.exit_status ?? "-"}`,
    `  signal:         ${record.signal ?? "-"}`,
    `  signal_reason:  ${record.signal_reason ?? "-"}`,
    `  finish count:   ${record.finish_count} (${record.finish_attempts.length} attempt(s))`,
    `  finished by:    ${record.finished_by ?? "-"}`,
    `  agent:          ${record.agent ? `${record.agent.name} (${record.agent.id})` : "-"}`,
    `  log:            ${record.log.bytes} bytes in ${record.log.chunks.length} chunk(s), ${record.log.duplicates} duplicate(s)`,
  ];
  for (const problem of record.log.problems) lines.push(`  log problem:    ${problem}`);
  lines.push(`  history:        ${record.history.map((h) => h.state).join(" → ")}`);
  return lines.join("\n");
}

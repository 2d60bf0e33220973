// What every scenario asserts about a Buildkite job that ran on the node: the record the stand-in
// kept (state, exit status, exactly one finish, signal_reason), the log lines, and that its pod is
// gone or complete.
import type { V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import type { JobRecord } from "../../standin/job-record.ts";
import { formatJobRecord } from "../../standin/job-record.ts";
import { waitFor } from "../dispatcher/env.ts";
import type { JobsEnv } from "./env.ts";

export interface Outcome {
  state: "finished" | "canceled";
  exitStatus: string;
  /** Default null (a command that ran to its end). */
  signalReason?: string | null;
  /** Default "agent". */
  finishedBy?: "agent" | "stack";
}

/** Waits for the job to end and checks its record; returns it. */
export async function expectJobEnded(e: JobsEnv, uuid: string, want: Outcome, timeoutMs = 150_000): Promise<JobRecord> {
  const record = await e.finished(uuid, timeoutMs);
  const why = `${formatJobRecord(record)}\n--- log ---\n${e.log(uuid)}`;
  expect(record.state, why).to.equal(want.state);
  expect(record.exit_status, why).to.equal(want.exitStatus);
  expect(record.signal_reason, why).to.equal(want.signalReason ?? null);
  expect(record.finish_count, why).to.equal(1);
  expect(record.finished_by, why).to.equal(want.finishedBy ?? "agent");
  expect(record.log.problems, why).to.deep.equal([]);
  return record;
}

/** The job log as lines, without the PTY's carriage returns. */
export function logLines(e: JobsEnv, uuid: string): string[] {
  return e.log(uuid).replaceAll("\r", "").split("\n");
}

/** Fails unless `line` is a whole line of the job's log. */
export function expectLogLine(e: JobsEnv, uuid: string, line: string): void {
  expect(logLines(e, uuid), `the log has the line ${JSON.stringify(line)}:\n${e.log(uuid)}`).to.include(line);
}

function podDone(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined || ["Succeeded", "Failed"].includes(pod.status?.phase ?? "");
}

/** Waits until every pod of the job is gone, being deleted, or in a terminal phase; returns them. */
export async function podsDone(e: JobsEnv, uuid: string, timeoutMs = 60_000): Promise<V1Pod[]> {
  let pods: V1Pod[] = [];
  await waitFor(`the pod of ${uuid} to be gone or complete`, async () => {
    pods = await e.pods(uuid);
    return pods.every(podDone);
  }, timeoutMs, 250).catch((err: unknown) => {
    const phases = pods.map((p) => `${p.metadata?.name ?? "?"}: ${p.status?.phase ?? "?"}`).join(", ");
    throw new Error(`${(err as Error).message} (${phases})`, { cause: err });
  });
  return pods;
}

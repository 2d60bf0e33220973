// Fakes for dispatcher unit tests: a silent logger, and an in-memory stand-in for the few
// Kubernetes calls the dispatcher makes (creates behave like an apiserver with the webhook:
// AlreadyExists on a taken name, the agentified annotation added, scripted failures).
import type { CoreV1Event, V1Job } from "@kubernetes/client-node";
import { pino } from "pino";
import type { Logger } from "pino";
import { ApiException } from "../../../dispatcher/kube/http.ts";

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

export function apiError(code: number, reason: string, message: string, headers: Record<string, string> = {}): ApiException<string> {
  return new ApiException(code, "error", JSON.stringify({ kind: "Status", status: "Failure", code, reason, message }), headers);
}

export class FakeKube {
  readonly namespace = "ci";
  readonly jobs = new Map<string, V1Job>();
  readonly deletedJobs: string[] = [];
  readonly deletedPods: string[] = [];
  readonly expiredJobs: string[] = [];
  readonly podTemplates = new Map<string, Record<string, unknown>>();
  readonly events: CoreV1Event[] = [];
  createCalls = 0;
  /** Errors thrown by the next creates, in order. */
  readonly createFailures: unknown[] = [];
  /** When false, creates store the Job as sent (as if no webhook were installed). */
  agentify = true;

  async createJob(job: V1Job): Promise<V1Job> {
    this.createCalls++;
    const failure = this.createFailures.shift();
    if (failure !== undefined) throw failure;
    const name = job.metadata?.name ?? "";
    if (this.jobs.has(name)) throw apiError(409, "AlreadyExists", `jobs.batch "${name}" already exists`);
    const stored = structuredClone(job);
    if (this.agentify) stored.metadata = { ...stored.metadata, annotations: { ...stored.metadata?.annotations, "buildkite.com/agentified": "v0.1.0" } };
    this.jobs.set(name, stored);
    return stored;
  }

  async readJob(name: string): Promise<V1Job> {
    const job = this.jobs.get(name);
    if (!job) throw apiError(404, "NotFound", `jobs.batch "${name}" not found`);
    return job;
  }

  async deleteJob(name: string): Promise<void> {
    this.deletedJobs.push(name);
    this.jobs.delete(name);
  }

  async expireJob(name: string): Promise<void> {
    this.expiredJobs.push(name);
  }

  async deletePod(name: string): Promise<void> {
    this.deletedPods.push(name);
  }

  async readPodTemplateSpec(name: string): Promise<Record<string, unknown>> {
    const spec = this.podTemplates.get(name);
    if (!spec) throw apiError(404, "NotFound", `podtemplates "${name}" not found`);
    return structuredClone(spec);
  }

  async listEvents(_kind: string, name: string): Promise<CoreV1Event[]> {
    return this.events.filter((e) => e.involvedObject?.name === name);
  }
}

/** Polls `check` every 10 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

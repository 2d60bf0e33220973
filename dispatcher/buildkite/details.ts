// The texts Buildkite shows when the dispatcher finishes a job it could not run. Each says what
// happened and, where we know it, what to do about it.
import { humanDuration } from "../watch/table.ts";

export const JOB_CREATED_NOTIFICATION = "Kubernetes Job created, waiting for the agent to start…";

export function parseFailure(message: string): string {
  return `agentify failed to parse the job: ${message}`;
}

export function podTemplateFailure(name: string, message: string): string {
  return `Error fetching podTemplate "${name}": ${message}`;
}

export function rejectedByKubernetes(message: string): string {
  return `Kubernetes rejected the Job built for this step: ${message}`;
}

export function creationTimedOut(elapsedMs: number, lastError: string): string {
  return `agentify could not create the Kubernetes Job for this step within ${humanDuration(elapsedMs)}; last error: ${lastError}`;
}

export function notAgentified(jobName: string): string {
  return `The Kubernetes Job ${jobName} was stored without being agentified: the agentify admission webhook did not mutate it ` +
    "(is the MutatingWebhookConfiguration installed, with failurePolicy: Fail?). The Job was deleted.";
}

export function fetchFailed(elapsedMs: number, lastError: string): string {
  return `agentify could not fetch this job from Buildkite within ${humanDuration(elapsedMs)}; last error: ${lastError}`;
}

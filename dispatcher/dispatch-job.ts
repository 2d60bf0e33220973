// One reserved Buildkite job → one bare Kubernetes Job: fetch the job (env + command), read its
// plugins, build the Job, create it. Every way this can end is accounted for:
//   created / already existed   → the ledger tracks it until the informer reports the Job
//   cannot be built or rejected → finished on Buildkite with the reason
//   transient failures          → retried with backoff until job-creation-timeout, then finished
//   cancelled meanwhile / gone  → released
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Job } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isPermanentError, StacksApiError } from "./api/index.ts";
import type { GetJobResponse, StacksClient } from "./api/index.ts";
import {
  creationTimedOut, fetchFailed, JOB_CREATED_NOTIFICATION, notAgentified, parseFailure, podTemplateFailure, rejectedByKubernetes,
} from "./buildkite/details.ts";
import type { Finisher } from "./buildkite/finisher.ts";
import type { Notifier } from "./buildkite/notifier.ts";
import { buildBareJob, podTemplateToFetch } from "./job/bare-job.ts";
import type { BareJobSettings } from "./job/bare-job.ts";
import { classifyCreateError, createRetryDelayMs, describeNetworkError, statusOf } from "./job/create-errors.ts";
import { AGENTIFIED_ANNOTATION } from "./job/names.ts";
import { JobParseError, parseJobPlugins } from "./job/plugins.ts";
import type { KubeClients } from "./kube/clients.ts";
import type { DispatchLedger } from "./loop/ledger.ts";
import type { PauseGate } from "./loop/pause-gate.ts";
import type { DispatcherMetrics } from "./metrics.ts";

export interface QueuedJob {
  id: string;
  priority: number;
  /** Normalised agent query rules. */
  agentQueryRules: string[];
  /** When we reserved it (ms); job-creation-timeout counts from here. */
  reservedAt: number;
}

export interface DispatchDeps {
  client: Pick<StacksClient, "getJob">;
  stackKey: string;
  kube: Pick<KubeClients, "createJob" | "deleteJob" | "readPodTemplateSpec">;
  ledger: DispatchLedger;
  finisher: Finisher;
  notifier: Notifier;
  pause: PauseGate;
  /** Set by the Buildkite sync when a queued job was cancelled. */
  cancelled: Set<string>;
  bareJob: BareJobSettings;
  prohibitKubernetesPlugin: boolean;
  creationTimeoutMs: number;
  metrics: DispatcherMetrics;
  logger: Logger;
  now?: () => number;
  /** With leader election: false once this process is not the leader; nothing is created then. */
  mayAct?: () => boolean;
}

/** A job ready to be created: its bare Job is built. */
export interface PreparedJob extends QueuedJob {
  body: V1Job;
}

/** Why a step gave up without a result (the job is released, not finished). */
class Released extends Error {}

export class JobDispatcher {
  readonly #deps: DispatchDeps;
  readonly #now: () => number;

  constructor(deps: DispatchDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** prepare() then create(): the whole way for one job. */
  async dispatch(job: QueuedJob, signal: AbortSignal): Promise<void> {
    const prepared = await this.prepare(job, signal);
    if (prepared) await this.create(prepared, signal);
  }

  /** Fetch, parse and build; undefined when the job was finished or released instead. */
  async prepare(job: QueuedJob, signal: AbortSignal): Promise<PreparedJob | undefined> {
    this.#deps.ledger.setStage(job.id, "dispatching");
    try {
      const bkJob = await this.#fetch(job, signal);
      const plugins = parseJobPlugins(bkJob.env.BUILDKITE_PLUGINS, { prohibitKubernetesPlugin: this.#deps.prohibitKubernetesPlugin });
      const templateName = podTemplateToFetch(plugins.kubernetes);
      const podTemplate = templateName === undefined ? undefined : { name: templateName, spec: await this.#podTemplate(job, templateName, signal) };
      const bare = buildBareJob({
        uuid: job.id, command: bkJob.command, env: bkJob.env, priority: job.priority, agentQueryRules: job.agentQueryRules,
        plugin: plugins.kubernetes, pluginJson: plugins.kubernetesJson, ...(podTemplate ? { podTemplate } : {}),
      }, this.#deps.bareJob);
      return { ...job, body: bare as unknown as V1Job };
    } catch (err) {
      this.#settle(job, err, signal);
      return undefined;
    }
  }

  async create(job: PreparedJob, signal: AbortSignal): Promise<void> {
    try {
      await this.#create(job, job.body, signal);
    } catch (err) {
      this.#settle(job, err, signal);
    } finally {
      this.#deps.cancelled.delete(job.id);
    }
  }

  /** A job that will not get a Kubernetes Job from us: finished with the reason, or released. */
  #settle(job: QueuedJob, err: unknown, signal: AbortSignal): void {
    this.#deps.cancelled.delete(job.id);
    if (err instanceof JobParseError) return this.#finish(job, parseFailure(err.message), "invalid-job");
    if (err instanceof Finished) return this.#finish(job, err.detail, err.reason);
    if (err instanceof Released || signal.aborted) return this.#deps.ledger.release(job.id);
    throw err;
  }

  #deadline(job: QueuedJob): number {
    return job.reservedAt + this.#deps.creationTimeoutMs;
  }

  #checkCancelled(job: QueuedJob, signal: AbortSignal): void {
    if (signal.aborted) throw new Released("stopping");
    if (this.#deps.mayAct && !this.#deps.mayAct()) throw new Released("not the leader");
    if (this.#deps.cancelled.has(job.id)) {
      this.#deps.metrics.jobsCancelled.inc({ stage: "before-create" });
      throw new Released("cancelled");
    }
  }

  async #fetch(job: QueuedJob, signal: AbortSignal): Promise<GetJobResponse> {
    for (let attempt = 1; ; attempt++) {
      this.#checkCancelled(job, signal);
      try {
        return (await this.#deps.client.getJob(this.#deps.stackKey, job.id, { signal })).body;
      } catch (err) {
        if (signal.aborted) throw new Released("stopping");
        if (err instanceof StacksApiError && err.status === 404) {
          this.#deps.logger.warn({ jobUuid: job.id }, "job no longer exists on Buildkite; dropping it");
          throw new Released("gone");
        }
        const message = err instanceof Error ? err.message : String(err);
        if (isPermanentError(err) || this.#now() >= this.#deadline(job)) {
          throw new Finished(fetchFailed(this.#now() - job.reservedAt, message), "fetch-failed");
        }
        const delay = createRetryDelayMs(attempt, err instanceof StacksApiError ? err.retryAfterMs : 0);
        this.#deps.logger.warn({ jobUuid: job.id, err, attempt, delayMs: delay }, "could not fetch job; will retry");
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #podTemplate(job: QueuedJob, name: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      this.#checkCancelled(job, signal);
      try {
        return await this.#deps.kube.readPodTemplateSpec(name);
      } catch (err) {
        const status = statusOf(err);
        const message = status?.body.message ?? describeNetworkError(err);
        if (status?.status === 404 || this.#now() >= this.#deadline(job)) throw new Finished(podTemplateFailure(name, message), "pod-template");
        await sleep(createRetryDelayMs(attempt, 0), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #create(job: QueuedJob, body: V1Job, signal: AbortSignal): Promise<void> {
    const { kube, ledger, metrics, logger: log } = this.#deps;
    const name = body.metadata?.name ?? "";
    for (let attempt = 1; ; attempt++) {
      this.#checkCancelled(job, signal);
      await this.#deps.pause.wait(signal);
      this.#checkCancelled(job, signal);
      const started = performance.now();
      let created: V1Job;
      try {
        created = await kube.createJob(body);
      } catch (err) {
        const failure = classifyCreateError(err);
        metrics.createErrors.inc({ kind: failure.kind, reason: failure.kind === "exists" ? "exists" : failure.reason });
        if (failure.kind === "exists") {
          ledger.setStage(job.id, "created");
          metrics.jobsAlreadyDispatched.inc();
          log.info({ jobUuid: job.id, name }, "Kubernetes Job already exists: job already dispatched");
          return;
        }
        if (failure.kind === "rejected") throw new Finished(rejectedByKubernetes(failure.message), `rejected-${failure.reason}`);
        if (signal.aborted) throw new Released("stopping");
        const elapsed = this.#now() - job.reservedAt;
        if (this.#now() >= this.#deadline(job)) throw new Finished(creationTimedOut(elapsed, failure.message), "create-timeout");
        const delay = Math.min(createRetryDelayMs(attempt, failure.retryAfterMs), Math.max(1, this.#deadline(job) - this.#now()));
        log.warn({ jobUuid: job.id, reason: failure.reason, status: failure.status, message: failure.message, attempt, delayMs: delay }, "could not create Kubernetes Job yet; will retry");
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        continue;
      }
      metrics.createSeconds.observe((performance.now() - started) / 1000);
      if (created.metadata?.annotations?.[AGENTIFIED_ANNOTATION] === undefined) return this.#notAgentified(job, name);
      ledger.setStage(job.id, "created");
      metrics.jobsCreated.inc();
      metrics.endToEndSeconds.observe((this.#now() - job.reservedAt) / 1000);
      this.#deps.notifier.notify(job.id, JOB_CREATED_NOTIFICATION);
      log.debug({ jobUuid: job.id, name, attempt }, "created Kubernetes Job");
      return;
    }
  }

  /** A Job stored without the webhook's mutation is suspended forever: remove it and say why. */
  async #notAgentified(job: QueuedJob, name: string): Promise<void> {
    const log = this.#deps.logger;
    log.error({ jobUuid: job.id, name }, "Kubernetes Job was not agentified by the webhook; deleting it");
    try {
      await this.#deps.kube.deleteJob(name);
    } catch (err) {
      log.warn({ jobUuid: job.id, err, name }, "could not delete the unagentified Job");
    }
    throw new Finished(notAgentified(name), "not-agentified");
  }

  /** Hands the job to the finisher; it no longer takes a slot, but stays known until finished. */
  #finish(job: QueuedJob, detail: string, reason: string): void {
    const { ledger, finisher } = this.#deps;
    ledger.setStage(job.id, "finishing");
    void finisher.finish(job.id, detail, reason).then(() => {
      if (ledger.stage(job.id) === "finishing") ledger.release(job.id);
    });
  }
}

/** The job cannot run; `detail` goes to Buildkite. */
class Finished extends Error {
  readonly detail: string;
  readonly reason: string;
  constructor(detail: string, reason: string) {
    super(detail);
    this.detail = detail;
    this.reason = reason;
  }
}

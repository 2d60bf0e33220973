// startDispatcher(): wires the pieces in agent-stack-k8s's start order — token, identity, stack,
// informers synced (so existing Jobs are counted and deduplicated before the first poll), then
// the creation workers, the Buildkite sync, the watchers and finally the poll loop.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { pino } from "pino";
import type { Config } from "../webhook/core/index.ts";
import { DEFAULT_ENDPOINT, StacksClient } from "./api/index.ts";
import { BuildkiteSync } from "./buildkite-sync.ts";
import { Finisher } from "./buildkite/finisher.ts";
import { Notifier } from "./buildkite/notifier.ts";
import { checkTokenIdentity, deregisterStack, registerStack, resolveToken } from "./buildkite/stack.ts";
import { StateLookup } from "./buildkite/state-lookup.ts";
import { JobDispatcher } from "./dispatch-job.ts";
import type { PreparedJob, QueuedJob } from "./dispatch-job.ts";
import { startHttpEndpoints } from "./http/server.ts";
import type { HttpEndpoints } from "./http/server.ts";
import { DEFAULT_STACK_KEY } from "./job/names.ts";
import { KubeClients, loadKubeConnection } from "./kube/clients.ts";
import type { KubeConnection } from "./kube/clients.ts";
import { ClusterView } from "./kube/cluster-view.ts";
import { queueKeyFor, stackTags } from "./loop/agent-tags.ts";
import { DispatchLedger } from "./loop/ledger.ts";
import { PauseGate } from "./loop/pause-gate.ts";
import { WorkerPool } from "./loop/worker-pool.ts";
import { createDispatcherMetrics } from "./metrics.ts";
import type { DispatcherMetrics } from "./metrics.ts";
import { Monitor } from "./monitor.ts";
import { FailureReporter } from "./watch/failure-reporter.ts";
import { JobWatcher } from "./watch/job-watcher.ts";
import { PodWatcher } from "./watch/pod-watcher.ts";

export const AGENTIFY_DISPATCHER_VERSION = "0.1.0";

export interface StartDispatcherOptions {
  config: Config;
  /** A kubeconfig file; default $KUBECONFIG, ~/.kube/config or in-cluster. */
  kubeconfigPath?: string;
  /** A client-node KubeConfig or a connection (kube/kubeconfig.ts); default from kubeconfigPath. */
  kubeConfig?: KubeConfig | KubeConnection;
  /** Stacks API base URL (with /v3); default config agent-config.endpoint, else Buildkite's. */
  endpoint?: string;
  /** Where BUILDKITE_AGENT_TOKEN is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /**
   * /metrics, /healthz, /readyz; default config prometheus-port (0 = not served). Port 0 here picks a
   * free port. false: not served here (under leader election the process serves them, leader/endpoints.ts).
   */
  http?: { port: number; host?: string } | false;
  /** The process_* and nodejs_* metrics in this dispatcher's registry; default true. */
  processMetrics?: boolean;
  /** How often the watchers look at their caches; default 1000 ms. */
  watchIntervalMs?: number;
  /** With leader election: whether this process may still reserve and create (see leader/). */
  mayAct?: () => boolean;
}

export interface DispatcherHandle {
  stackKey: string;
  queueKey: string;
  metrics: DispatcherMetrics;
  ledger: DispatchLedger;
  httpUrl: string | undefined;
  /** undefined when ready (what /readyz answers); otherwise why not. */
  notReadyReason(): string | undefined;
  /**
   * Resolves once stopped: polling, workers and watchers stopped, stack deregistered (≤ ~5 s).
   * `deregister: false` keeps the stack registered, for a leader handing over to another replica.
   */
  stop(opts?: { deregister?: boolean }): Promise<void>;
}

/** Repeats `fn` every `intervalMs` (never overlapping) until `signal` aborts. */
async function every(intervalMs: number, signal: AbortSignal, fn: () => Promise<void> | void, logger: Logger, what: string): Promise<void> {
  while (!signal.aborted) {
    try {
      await fn();
    } catch (err) {
      if (!signal.aborted) logger.warn({ err }, `${what} failed`);
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

export async function startDispatcher(opts: StartDispatcherOptions): Promise<DispatcherHandle> {
  const config = opts.config;
  const logger = opts.logger ?? pino({ level: config["log-level"] });
  const metrics = createDispatcherMetrics({ maxInFlight: config["max-in-flight"], defaultMetrics: opts.processMetrics ?? true });
  const stack = stackTags(config);
  const stackKey = config.id || DEFAULT_STACK_KEY;
  const ledger = new DispatchLedger(config["max-in-flight"]);
  const stopping = new AbortController();
  const readiness = { registered: false, synced: false, lastPollOk: 0, lastPollError: "" };
  const pollStaleMs = Math.max(30_000, 3 * config["poll-interval"] * 1000);
  const notReadyReason = () => {
    if (stopping.signal.aborted) return "stopping";
    if (!readiness.registered) return "stack not registered yet";
    if (!readiness.synced) return "Kubernetes caches not synced yet";
    if (Date.now() - readiness.lastPollOk > pollStaleMs) return `no successful poll in ${pollStaleMs / 1000}s${readiness.lastPollError ? `: ${readiness.lastPollError}` : ""}`;
    return undefined;
  };
  const httpPort = opts.http === false ? undefined : opts.http ?? (config["prometheus-port"] > 0 ? { port: config["prometheus-port"] } : undefined);
  const http: HttpEndpoints | undefined = httpPort ? await startHttpEndpoints({ ...httpPort, registry: metrics.registry, readiness: { notReadyReason } }) : undefined;

  try {
    // The lean client (kube/http.ts): client-node is only loaded when a caller hands one in.
    const kube = new KubeClients(opts.kubeConfig ?? loadKubeConnection(opts.kubeconfigPath), {
      namespace: config.namespace, qps: config["k8s-client-rate-limiter-qps"], burst: config["k8s-client-rate-limiter-burst"],
    });
    const { token, from } = await resolveToken({
      env: opts.env ?? process.env, secretName: config["agent-token-secret"], namespace: config.namespace,
      readSecretKey: (name, key) => kube.readSecretKey(name, key),
    });
    logger.info({ from }, "agent token found");
    const client = new StacksClient({
      token, endpoint: opts.endpoint ?? config["agent-config"]?.endpoint ?? DEFAULT_ENDPOINT, timeoutMs: config["http-timeout"] * 1000,
      userAgent: `agentify-dispatcher/${AGENTIFY_DISPATCHER_VERSION}`, logger: logger.child({ module: "stacksapi" }),
    });
    await checkTokenIdentity(client, logger);
    const registered = await registerStack(client, { key: stackKey, queueKey: queueKeyFor(stack) }, logger);
    readiness.registered = true;
    const key = registered.key || stackKey;
    const queueKey = registered.cluster_queue_key || queueKeyFor(stack);

    const lookup = new StateLookup({ client, stackKey: key, logger });
    const finisher = new Finisher({
      client, stackKey: key, logger: logger.child({ module: "finisher" }),
      onOutcome: (outcome, reason) => metrics.jobsFinished.inc({ reason, outcome }),
    });
    const notifier = new Notifier({
      client, stackKey: key, logger: logger.child({ module: "notifier" }),
      onSent: (ok, failed) => {
        metrics.notifications.inc({ result: "sent" }, ok);
        metrics.notifications.inc({ result: "failed" }, failed);
      },
    });
    const reporter = new FailureReporter({ lookup, finisher, notifier, logger: logger.child({ module: "watchers" }) });
    const jobWatcher = new JobWatcher({
      reporter, kube, jobs: () => view.jobs(), podsOf: (uuid) => view.podsOf(uuid),
      emptyJobGraceMs: config["empty-job-grace-period"] * 1000, logger,
    });
    const podWatcher = new PodWatcher({
      reporter, kube, pods: () => view.pods(), imagePullGraceMs: config["image-pull-backoff-grace-period"] * 1000,
      pendingTimeoutMs: config["pod-pending-timeout"] * 1000, metrics, logger,
    });
    const view = new ClusterView({
      kube, controllerId: config.id, logger: logger.child({ module: "informers" }),
      onJob: (job) => {
        ledger.observeJob(job.uuid, job.finished !== undefined);
        if (readiness.synced) jobWatcher.check(job);
      },
      onJobDeleted: (job) => {
        ledger.forgetJob(job.uuid);
        jobWatcher.onDelete(job);
      },
      onPod: (pod) => {
        if (readiness.synced) podWatcher.check(pod);
      },
    });

    const pause = new PauseGate();
    const cancelled = new Set<string>();
    const dispatcher = new JobDispatcher({
      client, stackKey: key, kube, ledger, finisher, notifier, pause, cancelled,
      bareJob: {
        namespace: config.namespace,
        jobPrefix: config["job-prefix"],
        controllerId: config.id,
        image: config.image,
        terminationGracePeriodSeconds: config["default-termination-grace-period-seconds"],
        defaultImagePullPolicy: config["default-image-pull-policy"],
      },
      prohibitKubernetesPlugin: config["prohibit-kubernetes-plugin"], creationTimeoutMs: config["job-creation-timeout"] * 1000,
      metrics, logger: logger.child({ module: "dispatch" }),
      ...(opts.mayAct ? { mayAct: opts.mayAct } : {}),
    });
    // Two stages, so that fetching the next jobs overlaps creating the current ones: `prepare`
    // fetches and builds (at most 2 × concurrency built ahead), `create` creates.
    const concurrency = config["job-creation-concurrency"];
    const onWorkerError = (err: unknown, job: QueuedJob) => {
      // Not expected; the job is forgotten here and comes back when its reservation lapses.
      logger.error({ err, jobUuid: job.id }, "dispatching a job failed unexpectedly");
      ledger.release(job.id);
    };
    const createPool = new WorkerPool<PreparedJob>({ concurrency, handle: (job, signal) => dispatcher.create(job, signal), onError: onWorkerError });
    const preparePool = new WorkerPool<QueuedJob>({
      concurrency,
      handle: async (job, signal) => {
        const prepared = await dispatcher.prepare(job, signal);
        if (!prepared) return;
        await createPool.waitForRoom(2 * concurrency, signal);
        if (!signal.aborted) createPool.push(prepared);
        else ledger.release(job.id);
      },
      onError: onWorkerError,
    });
    const queued = () => preparePool.queue.size + createPool.queue.size;
    const sync = new BuildkiteSync({
      client, stackKey: key, states: lookup, ledger, cancelled, kube, jobs: () => view.jobs(), pods: () => view.pods(),
      unqueue: (uuid) => preparePool.remove(uuid) !== undefined || createPool.remove(uuid) !== undefined,
      reservationExpirySeconds: config["reservation-expiry-seconds"], metrics, logger: logger.child({ module: "buildkite-sync" }),
    });
    metrics.setSources({ inFlight: () => ledger.inFlight(), queueLength: queued, finishesPending: () => finisher.pendingCount });

    await view.start(stopping.signal);
    readiness.synced = true;
    logger.info({ jobs: view.jobCount, inFlight: ledger.inFlight(), maxInFlight: config["max-in-flight"] }, "existing Jobs loaded");

    const monitor = new Monitor({
      client, stackKey: key, queueKey, stack, ledger, pause, enableQueuePause: config["enable-queue-pause"],
      pollIntervalMs: Math.max(1, config["poll-interval"]) * 1000, pageSize: config["pagination-page-size"],
      depthLimit: config["pagination-depth-limit"], reservationExpirySeconds: config["reservation-expiry-seconds"],
      queueRoom: () => config["work-queue-limit"] - queued(),
      enqueue: (job) => preparePool.push(job), reserved: (uuids) => sync.reserved(uuids),
      reregister: async () => void (await registerStack(client, { key, queueKey: queueKeyFor(stack) }, logger)),
      onPoll: (ok, err) => {
        if (ok) readiness.lastPollOk = Date.now();
        else readiness.lastPollError = err instanceof Error ? err.message : String(err);
      },
      metrics, logger: logger.child({ module: "monitor" }),
      ...(opts.mayAct ? { mayAct: opts.mayAct } : {}),
    });
    notifier.start();
    createPool.start();
    preparePool.start();
    const signal = stopping.signal;
    const watchMs = opts.watchIntervalMs ?? 1000;
    const syncMs = Math.max(500, Math.min(config["job-cancel-checker-poll-interval"] * 1000, sync.renewAfterMs));
    const loops = [
      every(syncMs, signal, () => sync.tick(signal), logger, "Buildkite sync"),
      every(watchMs, signal, () => {
        jobWatcher.tick();
        podWatcher.tick();
      }, logger, "watchers"),
      every(30_000, signal, () => {
        const dropped = ledger.reconcile(view.jobSnapshot(), 60_000);
        if (dropped.length > 0) logger.warn({ dropped }, "forgot created Jobs the cluster never showed");
      }, logger, "capacity reconcile"),
      monitor.run(signal),
    ];
    logger.info({ stackKey: key, queueKey, tags: Object.fromEntries(stack.tags), maxInFlight: config["max-in-flight"] }, "dispatcher started");

    let stopped: Promise<void> | undefined;
    const stop = (stopOpts: { deregister?: boolean } = {}): Promise<void> => {
      stopped ??= (async () => {
        logger.info("stopping dispatcher");
        stopping.abort();
        finisher.stop();
        await Promise.race([Promise.all([preparePool.stop(), createPool.stop(), ...loops, view.stop()]), sleep(1500)]);
        await notifier.stop(300);
        if (stopOpts.deregister ?? true) await deregisterStack(client, key, 2500, logger);
        await http?.close();
        logger.info("dispatcher stopped");
      })();
      return stopped;
    };
    return { stackKey: key, queueKey, metrics, ledger, httpUrl: http?.url, notReadyReason, stop };
  } catch (err) {
    stopping.abort();
    await http?.close();
    throw err;
  }
}

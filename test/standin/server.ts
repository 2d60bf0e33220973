// startStandin(): a local stand-in for Buildkite's Agent REST API, both the "stacks"
// endpoints a dispatcher uses and the endpoints the agent itself uses to run a job,
// with test controls. See README.md in this folder.
import express from "express";
import type { Request, Response } from "express";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createAgentApi, STREAM_PINGS_PATH } from "./agent-api.ts";
import type { AgentSettings } from "./agent-kit.ts";
import type { AgentSnapshot } from "./agent-registry.ts";
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { controlRouter } from "./control-routes.ts";
import { FaultInjector } from "./faults.ts";
import type { FaultConfig, ScriptedFault } from "./faults.ts";
import { JobLifecycle } from "./job-lifecycle.ts";
import { plainLog } from "./job-log.ts";
import type { LogSnapshot } from "./job-log.ts";
import { jobRecord } from "./job-record.ts";
import type { JobRecord } from "./job-record.ts";
import { jobRoutes } from "./job-routes.ts";
import { JobStore } from "./job-store.ts";
import { SlidingWindowLimiter } from "./rate-limiter.ts";
import type { RateLimitScope } from "./rate-limiter.ts";
import type { StandinState } from "./route-kit.ts";
import { recordRequest, routeHandler, send } from "./server-pipeline.ts";
import { StackRegistry } from "./stack-registry.ts";
import { stackRoutes } from "./stack-routes.ts";
import type { BuildSpec, CallRecord, EndpointName, JobState, StandinJob, StandinStack, StepSpec } from "./types.ts";

export interface StandinOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Path prefix of the API; default "/v3" (as on agent.buildkite.com). */
  basePath?: string;
  /** The cluster agent token to accept; default a fresh `bkct_…` value. */
  token?: string;
  /** Time source for scheduling and expiries; default the system clock. */
  clock?: Clock;
  organizationSlug?: string;
  clusterName?: string;
  /** "" makes GET /token describe an unclustered token. */
  clusterUuid?: string;
  /** Key of the cluster's default queue; `_default` and `__default__` resolve to it. Default "default". */
  defaultQueueKey?: string;
  /** If given, only these queues exist (plus the default and those jobs were enqueued to): others 404. */
  queues?: string[];
  /** Page size when `limit` is not sent; default 100. */
  defaultPageSize?: number;
  /** Active stacks allowed before register answers 403; default 50. */
  maxStacks?: number;
  /** Per-scope requests/second; `false` disables limiting. Default: the documented limits. */
  rateLimits?: Partial<Record<RateLimitScope, number>> | false;
  faults?: FaultConfig;
  /** Serve the /_standin HTTP controls; default true. */
  controlRoutes?: boolean;
  /** Intervals and chunk size told to agents (defaults: agent-kit.ts DEFAULT_AGENT_SETTINGS). */
  agent?: Partial<AgentSettings>;
}

export interface StandinHandle {
  /** API base URL including the base path, e.g. http://127.0.0.1:41234/v3 — the client's endpoint. */
  url: string;
  /** Scheme, host and port only. */
  origin: string;
  token: string;
  clock: Clock;
  stop(): Promise<void>;
  /** Adds one step as a one-job build; returns the job UUID. */
  enqueue(step: StepSpec, build?: BuildSpec): string;
  /** Adds one build with a job per step; returns the job UUIDs in step order. */
  enqueueBuild(steps: StepSpec[], build?: BuildSpec): string[];
  /** Copies, safe to keep; reservation expiry is applied first. */
  job(uuid: string): StandinJob | undefined;
  jobs(): StandinJob[];
  stacks(): StandinStack[];
  /** Every request received (optionally for one endpoint), oldest first. */
  calls(endpoint?: EndpointName): CallRecord[];
  clearCalls(): void;
  /** Replaces the random faults (null clears them, and scripted ones too). */
  setFaults(config: FaultConfig | null): void;
  /** Queues a one-shot fault for the next matching request(s). */
  failNext(fault: ScriptedFault): void;
  setRateLimits(limits: Partial<Record<RateLimitScope, number>> | false): void;
  pauseQueue(queueKey: string, paused?: boolean): void;
  // Agent- and user-side moves (throw on a move Buildkite would not make).
  acquire(uuid: string): void;
  accept(uuid: string): void;
  start(uuid: string): void;
  complete(uuid: string, exitStatus?: number): void;
  cancel(uuid: string): void;
  markCanceled(uuid: string): void;
  forceState(uuid: string, state: JobState): void;
  // What the Agent API received.
  /** Registered agents (without their access tokens). */
  agents(): AgentSnapshot[];
  /** The job's log as uploaded, chunks in sequence order ("" if none). */
  jobLog(uuid: string): string;
  /** The same without inline timestamps, colours and CRs (job-log.ts plainLog). */
  jobLogPlain(uuid: string): string;
  jobLogDetail(uuid: string): LogSnapshot;
  /** State, exit status, finish count, signal_reason, log shape; throws for an unknown job. */
  jobRecord(uuid: string): JobRecord;
  /** The build meta-data the job's build holds. */
  metaData(uuid: string): Record<string, string>;
  /** Resolves with the record once `until` holds (checked every 50 ms); rejects after `timeoutMs`. */
  waitForJob(uuid: string, until: (record: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
}

export async function startStandin(opts: StandinOptions = {}): Promise<StandinHandle> {
  const clock = opts.clock ?? systemClock;
  const basePath = opts.basePath ?? "/v3";
  const token = opts.token ?? `bkct_standin_${randomUUID().replaceAll("-", "")}`;
  const defaultQueueKey = opts.defaultQueueKey ?? "default";
  const organization = { slug: opts.organizationSlug ?? "standin-org", uuid: randomUUID() };
  const clusterId = opts.clusterUuid ?? randomUUID();
  const store = new JobStore({ clock, defaultQueueKey, organization, clusterId });
  for (const queue of opts.queues ?? []) store.ensureQueue(queue);
  const lifecycle = new JobLifecycle(store, () => clock.now());
  const defaultQueue = store.ensureQueue(defaultQueueKey);
  const state: StandinState = {
    clock, store, lifecycle,
    stacks: new StackRegistry(opts.maxStacks ?? 50),
    identity: {
      uuid: randomUUID(), description: "Stand-in cluster agent token", token_type: "cluster",
      organization_slug: organization.slug, organization_uuid: organization.uuid,
      cluster_uuid: clusterId, cluster_name: opts.clusterName ?? "standin-cluster",
      organization_queue_uuid: defaultQueue.id, organization_queue_key: defaultQueueKey,
    },
    defaultPageSize: opts.defaultPageSize ?? 100,
    knownQueues: opts.queues ? [...opts.queues, defaultQueueKey] : null,
  };
  const faults = new FaultInjector();
  if (opts.faults) faults.set(opts.faults);
  const limiter = new SlidingWindowLimiter(opts.rateLimits ?? {});
  const calls: CallRecord[] = [];
  const record = (call: Omit<CallRecord, "seq">): CallRecord => {
    const full = { seq: calls.length + 1, ...call };
    calls.push(full);
    return full;
  };
  const agentApi = createAgentApi({
    clock, store, clusterToken: token, ...(opts.agent ? { settings: opts.agent } : {}),
    pipeline: { faults, limiter, record },
  });
  const deps = { state, token, faults, limiter, record };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.post(STREAM_PINGS_PATH, agentApi.streamPings);
  app.use(basePath, agentApi.router);
  const api = express.Router({ caseSensitive: true, strict: false });
  api.use(express.raw({ type: () => true, limit: "50mb" }));
  for (const route of [...stackRoutes, ...jobRoutes]) {
    api[route.method === "GET" ? "get" : route.method === "PUT" ? "put" : "post"](route.path, routeHandler(route, deps));
  }
  api.use((req: Request, res: Response) => {
    send(res, recordRequest(req, null, null, deps), { status: 404, body: { message: "Not Found" }, headers: {} });
  });
  app.use(basePath, api);

  const server = app.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { address, port } = server.address() as AddressInfo;
  const origin = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;

  const snapshot = (job: StandinJob | undefined) => (job ? structuredClone(job) : undefined);
  const existing = (uuid: string): StandinJob => {
    const job = store.get(uuid);
    if (!job) throw new Error(`no such job ${uuid}`);
    return job;
  };
  const logDetail = (job: StandinJob) => agentApi.state.logs.peek(job.id).snapshot(job.agentRun?.chunksFailedCount ?? null);
  const recordOf = (uuid: string) => jobRecord(existing(uuid), logDetail(existing(uuid)));
  const handle: StandinHandle = {
    url: `${origin}${basePath}`,
    origin,
    token,
    clock,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    enqueue: (step, build) => store.enqueueBuild([step], build)[0] as string,
    enqueueBuild: (steps, build) => store.enqueueBuild(steps, build),
    job: (uuid) => snapshot(store.get(uuid)),
    jobs: () => store.all().map((job) => structuredClone(job)),
    stacks: () => state.stacks.all().map((stack) => structuredClone(stack)),
    calls: (endpoint) => structuredClone(endpoint ? calls.filter((c) => c.endpoint === endpoint) : calls),
    clearCalls: () => void calls.splice(0),
    setFaults: (config) => (config === null ? faults.clear() : faults.set(config)),
    failNext: (fault) => faults.script(fault),
    setRateLimits: (limits) => limiter.configure(limits),
    pauseQueue: (queueKey, paused = true) => store.setPaused(queueKey, paused),
    acquire: (uuid) => void lifecycle.acquire(uuid),
    accept: (uuid) => void lifecycle.accept(uuid),
    start: (uuid) => void lifecycle.start(uuid),
    complete: (uuid, exitStatus) => void lifecycle.complete(uuid, exitStatus),
    cancel: (uuid) => void lifecycle.cancel(uuid),
    markCanceled: (uuid) => void lifecycle.markCanceled(uuid),
    forceState: (uuid, to) => store.forceState(uuid, to),
    agents: () => agentApi.state.agents.snapshots(),
    jobLog: (uuid) => agentApi.state.logs.peek(existing(uuid).id).text(),
    jobLogPlain: (uuid) => plainLog(agentApi.state.logs.peek(existing(uuid).id).text()),
    jobLogDetail: (uuid) => logDetail(existing(uuid)),
    jobRecord: recordOf,
    metaData: (uuid) => Object.fromEntries(agentApi.state.metaData.of(existing(uuid).build.uuid)),
    waitForJob: async (uuid, until, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = recordOf(uuid);
        if (until(current)) return current;
        if (Date.now() > deadline) throw new Error(`job ${uuid}: condition not met within ${timeoutMs} ms; last record: ${JSON.stringify(current)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  if (opts.controlRoutes !== false) app.use("/_standin", controlRouter(handle));
  return handle;
}

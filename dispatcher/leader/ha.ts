// Several dispatcher replicas, one leader: every replica runs the elector; only the leader runs the
// dispatcher (registers the stack, polls, reserves, creates, watches). Reserving and creating are
// gated on isLeader() at the moment of each call, so a leader that loses its Lease, or was frozen
// past its renew deadline, stops acting before a standby can take the Lease; losing leadership then
// stops its dispatcher without deregistering the stack, which the new leader shares.
// /metrics, /healthz and /readyz are served for the whole process (endpoints.ts), on the leader
// and on a standby alike.
import type { Logger } from "pino";
import { pino } from "pino";
import type { HttpEndpoints } from "../http/server.ts";
import { loadKubeConnection, toKubeConnection } from "../kube/clients.ts";
import { createElectionMetrics, type ElectionMetrics } from "../metrics.ts";
import { startDispatcher, type DispatcherHandle, type StartDispatcherOptions } from "../start.ts";
import { LeaderElector, type ElectorTiming } from "./elector.ts";
import { startElectionEndpoints } from "./endpoints.ts";
import { KubeLease } from "./kube-lease.ts";
import type { LeaseApi } from "./lease.ts";

export interface LeaderElectionOptions {
  /** The Lease's namespace (the dispatcher's own). */
  namespace: string;
  leaseName: string;
  /** Unique per replica: the pod name, else hostname and pid. */
  identity: string;
  timing?: Partial<ElectorTiming>;
  /** Default: the Lease on the apiserver. */
  api?: LeaseApi;
  /** What runs while leading; default startDispatcher. */
  runDispatcher?: (opts: StartDispatcherOptions) => Promise<DispatcherHandle>;
}

export interface ElectedDispatcher {
  elector: LeaderElector;
  /** The running dispatcher while this replica leads. */
  current(): DispatcherHandle | undefined;
  /** Times this replica became leader. */
  terms(): number;
  metrics: ElectionMetrics;
  /** The process's /metrics, /healthz and /readyz; undefined when not served (port 0). */
  httpUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startElectedDispatcher(opts: StartDispatcherOptions, election: LeaderElectionOptions): Promise<ElectedDispatcher> {
  const logger: Logger = opts.logger ?? pino({ level: opts.config["log-level"] });
  // The lean connection: loading client-node would cost the process ~55 MB of RSS.
  const kubeConfig = opts.kubeConfig ?? loadKubeConnection(opts.kubeconfigPath);
  const runDispatcher = election.runDispatcher ?? startDispatcher;
  const elector: LeaderElector = new LeaderElector({
    identity: election.identity,
    api: election.api ?? new KubeLease(toKubeConnection(kubeConfig), election.namespace, election.leaseName),
    ...(election.timing ? { timing: election.timing } : {}),
    onStartedLeading: () => {
      metrics.leaderTransitions.inc({ to: "leader" });
      logger.info({ identity: election.identity, lease: election.leaseName }, "became leader");
    },
    onStoppedLeading: (why) => {
      metrics.leaderTransitions.inc({ to: "standby" });
      logger.warn({ identity: election.identity, why }, "stopped leading");
    },
    onError: (err) => logger.warn({ err }, "leader election round failed"),
  });
  const metrics = createElectionMetrics({ isLeader: () => elector.isLeader() });
  const stopping = new AbortController();
  let handle: DispatcherHandle | undefined;
  let starting: Promise<void> | undefined;
  let terms = 0;
  const httpPort = opts.http ?? (opts.config["prometheus-port"] > 0 ? { port: opts.config["prometheus-port"] } : undefined);
  const http: HttpEndpoints | undefined = httpPort ? await startElectionEndpoints({
    ...httpPort, metrics, state: { elector, current: () => handle, stopping: () => stopping.signal.aborted },
  }) : undefined;

  const step = async (): Promise<void> => {
    const leading = await elector.tick();
    if (leading && !handle && !starting && !stopping.signal.aborted) {
      terms++;
      starting = runDispatcher({ ...opts, kubeConfig, logger, http: false, processMetrics: false, mayAct: () => elector.isLeader() && !stopping.signal.aborted })
        .then((h) => {
          handle = h;
          if (!elector.isLeader()) return void stepDown();
        })
        .catch((err: unknown) => logger.error({ err }, "starting the dispatcher as leader failed; will retry"))
        .finally(() => (starting = undefined));
    } else if (!leading && handle) {
      await stepDown();
    }
  };
  const stepDown = async (): Promise<void> => {
    const h = handle;
    handle = undefined;
    await h?.stop({ deregister: false });
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await step().catch((err: unknown) => logger.warn({ err }, "leader election step failed"));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, elector.timing.retryPeriodMs);
        stopping.signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  })();

  return {
    elector,
    current: () => handle,
    terms: () => terms,
    metrics,
    httpUrl: http?.url,
    stop: async () => {
      stopping.abort();
      await loop;
      await starting;
      // The last leader deregisters the stack as a single dispatcher would, then frees the Lease.
      const h = handle;
      handle = undefined;
      await h?.stop();
      await elector.release();
      await http?.close();
    },
  };
}

// The HTTP endpoints of a replica under leader election: one server on the metrics port for the
// whole process, so that a standby answers its probes and scrapes as the leader does, and no
// second server competes for the port when a replica becomes leader. What it serves switches with
// leadership:
//   /readyz   the leader: its dispatcher's readiness; a standby: whether its Lease rounds reach the
//             apiserver (a standby that cannot reach it could not take over);
//   /metrics  the election's metrics and the process metrics, then the leader's dispatcher metrics;
//   /healthz  200 while the process runs.
import { CONTENT_TYPE } from "../../metrics/registry.ts";
import { startHttpEndpoints, type Exposition, type HttpEndpoints, type Readiness } from "../http/server.ts";
import type { ElectionMetrics } from "../metrics.ts";
import type { DispatcherHandle } from "../start.ts";
import type { LeaderElector } from "./elector.ts";

export interface ElectionState {
  elector: Pick<LeaderElector, "isLeader" | "lastRound" | "timing">;
  /** The running dispatcher while leading (undefined while it starts, or on a standby). */
  current(): Pick<DispatcherHandle, "notReadyReason" | "metrics"> | undefined;
  stopping(): boolean;
  now?: () => number;
}

/** /readyz's answer for a replica under leader election: undefined when ready, else why not. */
export function electedNotReadyReason(state: ElectionState): string | undefined {
  if (state.stopping()) return "stopping";
  const { elector } = state;
  if (elector.isLeader()) {
    const dispatcher = state.current();
    return dispatcher ? dispatcher.notReadyReason() : "leader: the dispatcher is starting";
  }
  const { okAt, error } = elector.lastRound();
  if (error !== undefined) return `standby: the last Lease round failed: ${error}`;
  if (okAt === undefined) return "standby: no Lease round has completed yet";
  // Rounds that hang (no answer, no error) count too: a standby that has not seen the Lease for a
  // whole lease duration could not notice a leader's lapse in time.
  const ageMs = (state.now ?? Date.now)() - okAt;
  const limitMs = elector.timing.leaseDurationMs;
  if (ageMs > limitMs) return `standby: no Lease round completed in the last ${String(limitMs / 1000)} s`;
  return undefined;
}

/** /metrics: the process-wide registry, then the current dispatcher's. */
export function electedExposition(metrics: ElectionMetrics, state: Pick<ElectionState, "current">): Exposition {
  return {
    contentType: CONTENT_TYPE,
    metrics: async () => {
      const own = await metrics.registry.metrics();
      const dispatcher = state.current();
      return dispatcher ? own + (await dispatcher.metrics.registry.metrics()) : own;
    },
  };
}

export function startElectionEndpoints(opts: { port: number; host?: string; metrics: ElectionMetrics; state: ElectionState }): Promise<HttpEndpoints> {
  const readiness: Readiness = { notReadyReason: () => electedNotReadyReason(opts.state) };
  return startHttpEndpoints({
    port: opts.port, ...(opts.host === undefined ? {} : { host: opts.host }),
    registry: electedExposition(opts.metrics, opts.state), readiness,
  });
}

// Prometheus metrics of one dispatcher (a registry per instance, so tests can run several), on
// the project's small registry (metrics/): the same exposition as prom-client, ~20 MB less RSS.
import { registerProcessMetrics } from "../metrics/process.ts";
import { Counter, Gauge, Histogram, Registry } from "../metrics/registry.ts";

export interface MetricsSources {
  inFlight(): number;
  queueLength(): number;
  finishesPending(): number;
}

export function createDispatcherMetrics(opts: { maxInFlight: number; defaultMetrics?: boolean }) {
  const registry = new Registry();
  if (opts.defaultMetrics) registerProcessMetrics(registry, "agentify_dispatcher_");
  const registers = [registry];
  let sources: MetricsSources | undefined;

  const metrics = {
    registry,
    polls: new Counter({ name: "agentify_dispatcher_polls_total", help: "scheduled-jobs polls by result", labelNames: ["result"] as const, registers }),
    pollSeconds: new Histogram({ name: "agentify_dispatcher_poll_seconds", help: "Duration of one poll (all pages)", buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    jobsSeen: new Counter({ name: "agentify_dispatcher_jobs_seen_total", help: "Scheduled jobs returned by polls (repeats included)", registers }),
    jobsFilteredOut: new Counter({ name: "agentify_dispatcher_jobs_filtered_out_total", help: "Scheduled jobs whose agent query rules do not match our tags", registers }),
    jobsReserved: new Counter({ name: "agentify_dispatcher_jobs_reserved_total", help: "Jobs reserved for dispatch", registers }),
    jobsNotReserved: new Counter({ name: "agentify_dispatcher_jobs_not_reserved_total", help: "Jobs Buildkite did not let us reserve", registers }),
    reservationsRenewed: new Counter({ name: "agentify_dispatcher_reservations_renewed_total", help: "Reservations extended for jobs still waiting", registers }),
    jobsCreated: new Counter({ name: "agentify_dispatcher_jobs_created_total", help: "Kubernetes Jobs created", registers }),
    jobsAlreadyDispatched: new Counter({ name: "agentify_dispatcher_jobs_already_dispatched_total", help: "Creates answered AlreadyExists (the job had been dispatched)", registers }),
    createErrors: new Counter({ name: "agentify_dispatcher_job_create_errors_total", help: "Failed Job creates by kind and reason", labelNames: ["kind", "reason"] as const, registers }),
    createSeconds: new Histogram({ name: "agentify_dispatcher_job_create_seconds", help: "Duration of one successful create call", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }),
    endToEndSeconds: new Histogram({ name: "agentify_dispatcher_job_end_to_end_seconds", help: "From reservation to the Kubernetes Job being stored", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers }),
    jobsFinished: new Counter({ name: "agentify_dispatcher_jobs_finished_total", help: "Buildkite jobs finished with a reason, by reason and outcome", labelNames: ["reason", "outcome"] as const, registers }),
    jobsCancelled: new Counter({ name: "agentify_dispatcher_jobs_cancelled_total", help: "Cancelled Buildkite jobs cleaned up, by where they were", labelNames: ["stage"] as const, registers }),
    podsDeleted: new Counter({ name: "agentify_dispatcher_pods_deleted_total", help: "Pods deleted because their job cannot run", labelNames: ["reason"] as const, registers }),
    notifications: new Counter({ name: "agentify_dispatcher_notifications_total", help: "Stack notifications by result", labelNames: ["result"] as const, registers }),
    queuePaused: new Gauge({ name: "agentify_dispatcher_queue_paused", help: "1 while the cluster queue is paused", registers }),
    maxInFlight: new Gauge({ name: "agentify_dispatcher_max_in_flight", help: "Configured max-in-flight (0 = unlimited)", registers }),
    inFlight: new Gauge({
      name: "agentify_dispatcher_in_flight", help: "Jobs reserved, being created or with an unfinished Kubernetes Job", registers,
      collect() {
        if (sources) this.set(sources.inFlight());
      },
    }),
    queueLength: new Gauge({
      name: "agentify_dispatcher_work_queue_length", help: "Reserved jobs waiting for a creation worker", registers,
      collect() {
        if (sources) this.set(sources.queueLength());
      },
    }),
    finishesPending: new Gauge({
      name: "agentify_dispatcher_finishes_pending", help: "Finishes waiting for Buildkite to accept them", registers,
      collect() {
        if (sources) this.set(sources.finishesPending());
      },
    }),
    setSources(s: MetricsSources): void {
      sources = s;
    },
  };
  metrics.maxInFlight.set(opts.maxInFlight);
  return metrics;
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;

/**
 * The metrics of a replica under leader election that live as long as the process: whether it
 * leads, its leadership changes and the process metrics. The dispatcher's own come and go with
 * its terms as leader (created without the process metrics, so no name is exported twice).
 */
export function createElectionMetrics(opts: { isLeader: () => boolean }) {
  const registry = new Registry();
  registerProcessMetrics(registry, "agentify_dispatcher_");
  const registers = [registry];
  const metrics = {
    registry,
    leader: new Gauge({
      name: "agentify_dispatcher_leader", help: "1 while this replica holds the leader Lease, 0 on a standby", registers,
      collect() {
        this.set(opts.isLeader() ? 1 : 0);
      },
    }),
    leaderTransitions: new Counter({
      name: "agentify_dispatcher_leader_transitions_total", help: "Leadership changes of this replica, by the state it changed to (leader, standby)",
      labelNames: ["to"] as const, registers,
    }),
  };
  for (const to of ["leader", "standby"] as const) metrics.leaderTransitions.inc({ to }, 0);
  return metrics;
}

export type ElectionMetrics = ReturnType<typeof createElectionMetrics>;

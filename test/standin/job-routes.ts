// The job endpoints under /stacks/:key: list, reserve, get, get-states, finish,
// notifications.
import { FinishRejected, MAX_FINISH_DETAIL_BYTES } from "./job-lifecycle.ts";
import { InvalidCursorError } from "./job-store.ts";
import { createNotifications, MAX_NOTIFICATIONS_PER_REQUEST } from "./notifications.ts";
import { HttpError, iso, jobUuids, objectBody, ok } from "./route-kit.ts";
import type { RouteDef, RouteRequest, StandinState } from "./route-kit.ts";
import type { StandinJob } from "./types.ts";

export const DEFAULT_RESERVATION_EXPIRY_SECONDS = 900;
export const MAX_RESERVATION_EXPIRY_SECONDS = 3600;
export const MAX_PAGE_SIZE = 1000;

function scheduledJobJson(job: StandinJob): Record<string, unknown> {
  return {
    id: job.id,
    priority: job.priority,
    agent_query_rules: job.agentQueryRules,
    scheduled_at: iso(job.scheduledAt),
    pipeline: { slug: job.pipeline.slug, uuid: job.pipeline.uuid },
    build: { uuid: job.build.uuid, number: job.build.number, branch: job.build.branch },
    step: { key: job.step.key },
  };
}

function listScheduledJobs({ query, stack, state }: RouteRequest) {
  const queueKey = query.queue_key;
  if (queueKey === undefined || queueKey === "") throw new HttpError(400, "queue_key is required");
  const queue = knownQueue(state, queueKey);
  let limit = state.defaultPageSize;
  if (query.limit !== undefined) {
    limit = /^\d+$/.test(query.limit) ? Number(query.limit) : 0;
    if (limit < 1 || limit > MAX_PAGE_SIZE) throw new HttpError(400, `limit must be a positive integer no greater than ${MAX_PAGE_SIZE}`);
  }
  let page;
  try {
    page = state.store.listScheduled(queue.key, query.after ? query.after : null, limit);
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new HttpError(400, err.message);
    throw err;
  }
  // Polling is what keeps a queue "Connected" on Buildkite.
  stack.lastConnectedOn = state.clock.now();
  return ok({
    jobs: page.jobs.map(scheduledJobJson),
    // Docs name the flag `dispatch_paused`; the Go client reads `paused`. Send both.
    cluster_queue: { id: queue.id, paused: queue.paused, dispatch_paused: queue.paused },
    page_info: { has_next_page: page.hasNextPage, end_cursor: page.endCursor },
  });
}

function knownQueue(state: StandinState, queueKey: string) {
  const queue = state.store.queue(queueKey);
  if (queue) return queue;
  if (state.knownQueues !== null && !state.knownQueues.includes(queueKey)) throw new HttpError(404, "Queue not found");
  return state.store.ensureQueue(queueKey);
}

function batchReserve({ body, stack, state }: RouteRequest) {
  const input = objectBody(body);
  const ids = jobUuids(input);
  const expiry = input.reservation_expiry_seconds ?? DEFAULT_RESERVATION_EXPIRY_SECONDS;
  if (typeof expiry !== "number" || !Number.isInteger(expiry)) throw new HttpError(400, "reservation_expiry_seconds must be an integer");
  if (expiry < 1 || expiry > MAX_RESERVATION_EXPIRY_SECONDS) {
    throw new HttpError(422, `reservation_expiry_seconds must be between 1 and ${MAX_RESERVATION_EXPIRY_SECONDS}`);
  }
  const { reserved, notReserved } = state.store.reserve(stack.key, ids, expiry);
  return ok({ reserved, not_reserved: notReserved });
}

function jobOr404(state: StandinState, id: string | undefined): StandinJob {
  const job = id === undefined ? undefined : state.store.get(id);
  if (!job) throw new HttpError(404, "Job not found");
  return job;
}

function finishJob({ params, body, state }: RouteRequest) {
  const job = jobOr404(state, params.uuid);
  const input = objectBody(body);
  const exitStatus = input.exit_status ?? -1;
  if (typeof exitStatus !== "number" || !Number.isInteger(exitStatus)) throw new HttpError(400, "exit_status must be an integer");
  const detail = input.detail;
  if (typeof detail !== "string") throw new HttpError(422, "detail is required");
  if (Buffer.byteLength(detail, "utf8") > MAX_FINISH_DETAIL_BYTES) {
    throw new HttpError(422, `detail is too long (maximum is ${MAX_FINISH_DETAIL_BYTES} bytes)`);
  }
  try {
    state.lifecycle.finishByStack(job.id, exitStatus, detail);
  } catch (err) {
    if (err instanceof FinishRejected) throw new HttpError(422, err.message);
    throw err;
  }
  return ok({});
}

function notifications({ body, state }: RouteRequest) {
  const input = objectBody(body);
  const items = input.notifications;
  if (!Array.isArray(items)) throw new HttpError(400, "notifications must be an array");
  if (items.length > MAX_NOTIFICATIONS_PER_REQUEST) {
    throw new HttpError(422, `notifications cannot contain more than ${MAX_NOTIFICATIONS_PER_REQUEST} items`);
  }
  return ok({ errors: createNotifications(state.store, items, state.clock.now()) });
}

export const jobRoutes: RouteDef[] = [
  {
    method: "GET", path: "/stacks/:key/scheduled-jobs", endpoint: "listScheduledJobs",
    scope: "list-scheduled-jobs", needsStack: true, handle: listScheduledJobs,
  },
  {
    method: "PUT", path: "/stacks/:key/scheduled-jobs/batch-reserve", endpoint: "batchReserve",
    scope: "batch-reserve", needsStack: true, handle: batchReserve,
  },
  {
    method: "POST", path: "/stacks/:key/jobs/get-states", endpoint: "getJobStates",
    scope: "batch-load-job-states", needsStack: true,
    handle: ({ body, state }) => {
      const ids = jobUuids(objectBody(body));
      const states: Record<string, string> = {};
      for (const id of ids) {
        const job = state.store.get(id);
        if (job) states[id] = job.state; // unknown UUIDs are left out
      }
      return ok({ states });
    },
  },
  {
    method: "GET", path: "/stacks/:key/jobs/:uuid", endpoint: "getJob", scope: "show-job", needsStack: true,
    handle: ({ params, state }) => {
      const job = jobOr404(state, params.uuid);
      return ok({ id: job.id, env: job.env, command: job.command });
    },
  },
  {
    method: "POST", path: "/stacks/:key/jobs/:uuid/finish", endpoint: "finishJob", scope: "finish-job",
    needsStack: true, handle: finishJob,
  },
  {
    method: "POST", path: "/stacks/:key/notifications", endpoint: "notifications", scope: "stack-notification",
    needsStack: true, handle: notifications,
  },
];

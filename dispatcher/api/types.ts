// JSON shapes of Buildkite's Agent REST "stacks" API (and GET /token), with the
// wire's snake_case field names. Source: buildkite/stacksapi structs and the
// docs page apis/agent_api/stacks.md.

/** Every job state Buildkite reports. */
export type JobState =
  | "accepted" | "assigned" | "blocked" | "blocked_failed" | "broken" | "canceled" | "canceling"
  | "expired" | "finished" | "limited" | "limiting" | "pending" | "running" | "scheduled" | "reserved"
  | "skipped" | "timed_out" | "timing_out" | "unblocked" | "unblocked_failed" | "waiting" | "waiting_failed";

export type StackType = "kubernetes" | "elastic" | "custom";
export type StackState = "connected" | "disconnected" | "lost";

/** GET /token */
export interface TokenIdentity {
  uuid: string;
  description: string;
  token_type: string;
  organization_slug: string;
  organization_uuid: string;
  /** "" for an unclustered token, which a stack must refuse. */
  cluster_uuid: string;
  cluster_name: string;
  organization_queue_uuid: string;
  organization_queue_key: string;
}

/** POST /stacks/register */
export interface RegisterStackRequest {
  key: string;
  type: StackType;
  /** `_default` (code) or `__default__` (docs) for the cluster's default queue. */
  queue_key: string;
  metadata: Record<string, string>;
}

export interface RegisterStackResponse {
  id: string;
  organization_uuid: string;
  key: string;
  type: StackType;
  cluster_queue_key: string;
  metadata: Record<string, string>;
  last_connected_on: string | null;
  state: StackState;
}

/** Query of GET /stacks/:key/scheduled-jobs. */
export interface ListScheduledJobsQuery {
  queueKey: string;
  /** 1..1000; left out when undefined or 0. */
  limit?: number;
  /** `page_info.end_cursor` of the previous page; left out when empty. */
  after?: string;
}

export interface ScheduledJob {
  id: string;
  /** Higher runs first. */
  priority: number;
  /** `key=value` rules; `*` as a value matches anything. */
  agent_query_rules: string[];
  scheduled_at: string;
  pipeline: { slug: string | null; uuid: string | null };
  build: { uuid: string | null; number: number | null; branch: string | null };
  step: { key: string | null };
}

export interface ClusterQueue {
  id: string;
  /** The Go client's name for the pause flag. */
  paused?: boolean;
  /** The docs' name for the pause flag; a stack must not start jobs while it is true. */
  dispatch_paused?: boolean;
}

export interface PageInfo {
  has_next_page: boolean;
  end_cursor: string | null;
}

export interface ListScheduledJobsResponse {
  jobs: ScheduledJob[];
  cluster_queue: ClusterQueue;
  page_info: PageInfo;
}

/** PUT /stacks/:key/scheduled-jobs/batch-reserve */
export interface BatchReserveJobsRequest {
  /** At most 1000. */
  job_uuids: string[];
  /** 1..3600; the server default (900) applies when left out. Left out when 0. */
  reservation_expiry_seconds?: number;
}

export interface BatchReserveJobsResponse {
  reserved: string[];
  not_reserved: string[];
}

/** GET /stacks/:key/jobs/:uuid — env and command can exceed 100 KB. */
export interface GetJobResponse {
  id: string;
  env: Record<string, string>;
  command: string;
}

/** POST /stacks/:key/jobs/get-states */
export interface GetJobStatesRequest {
  job_uuids: string[];
}

export interface GetJobStatesResponse {
  /** Unknown UUIDs are missing from the map. */
  states: Record<string, JobState>;
}

/** POST /stacks/:key/jobs/:uuid/finish — at most once per job. */
export interface FinishJobRequest {
  /** Defaults to -1 on the server; 0 means success. */
  exit_status?: number;
  /** At most 4 KB (the client crops longer text). */
  detail: string;
}

/** POST /stacks/:key/notifications */
export interface StackNotification {
  job_uuid: string;
  /** 1..256 characters (the client crops longer text). */
  detail: string;
  /** RFC 3339; not in the future, not before the job was created. */
  timestamp?: string;
}

export interface CreateStackNotificationsRequest {
  notifications: StackNotification[];
}

export interface StackNotificationError {
  error: string;
  /** Indexes into the request's `notifications`. */
  indexes: number[];
}

export interface CreateStackNotificationsResponse {
  errors: StackNotificationError[];
}

/** Body of every non-2xx answer (429 adds scope/limit/current/reset). */
export interface ErrorBody {
  message: string;
}

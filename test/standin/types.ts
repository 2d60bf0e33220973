// Shapes shared by the stand-in's parts. The stand-in keeps its own wire types
// (it imports nothing from dispatcher/) so that it checks the client rather than
// agreeing with it by construction.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Every state Buildkite reports (agent-stack-k8s api/job_states.go). */
export const JOB_STATES = [
  "accepted", "assigned", "blocked", "blocked_failed", "broken", "canceled", "canceling", "expired",
  "finished", "limited", "limiting", "pending", "running", "scheduled", "reserved", "skipped",
  "timed_out", "timing_out", "unblocked", "unblocked_failed", "waiting", "waiting_failed",
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States after which a job can no longer change. */
export const TERMINAL_STATES: readonly JobState[] = [
  "finished", "canceled", "expired", "timed_out", "skipped", "broken",
  "blocked_failed", "unblocked_failed", "waiting_failed",
];

/** The stacks API endpoints (plus GET /token), named for recording, faults and limits. */
export type StacksEndpointName =
  | "token" | "register" | "deregister" | "listScheduledJobs" | "batchReserve"
  | "getJob" | "getJobStates" | "finishJob" | "notifications";

/** The Agent API endpoints the real agent calls to run one job (and the gRPC ping stream it probes). */
export type AgentEndpointName =
  | "agentRegister" | "agentConnect" | "agentDisconnect" | "agentHeartbeat" | "agentPing"
  | "agentAcquireJob" | "agentStartJob" | "agentJobState" | "agentUploadChunk" | "agentFinishJob"
  | "agentMetaDataExists" | "agentMetaDataSet" | "agentMetaDataSetBatch" | "agentMetaDataGet"
  | "agentMetaDataKeys" | "agentStreamPings";

export type EndpointName = StacksEndpointName | AgentEndpointName;

/** A plugin as written in pipeline YAML: `name#ver` alone, or `{ "name#ver": config }`. */
export type PluginEntry = string | Record<string, JsonValue>;
export type PluginsSpec = PluginEntry[] | Record<string, JsonValue>;

/** One command step, in the terms a pipeline author uses. */
export interface StepSpec {
  label?: string;
  key?: string;
  /** One command, or several joined by newlines (as Buildkite joins `commands:`). */
  command?: string | string[];
  image?: string;
  plugins?: PluginsSpec;
  /** Agent query rules: `{ queue: "k8s" }` or `["queue=k8s"]`. `queue` picks the cluster queue. */
  agents?: Record<string, string> | string[];
  env?: Record<string, string>;
  priority?: number;
  timeoutInMinutes?: number;
  artifactPaths?: string;
}

/** Build-level facts shared by the jobs of one build. */
export interface BuildSpec {
  pipeline?: string;
  branch?: string;
  commit?: string;
  message?: string;
  repo?: string;
  /** BUILDKITE_TAG: the build's tag, if it was made for one. */
  tag?: string;
  env?: Record<string, string>;
}

export interface Reservation {
  stackKey: string;
  expiresAt: number;
}

export interface StackFinish {
  by: "stack" | "agent";
  exitStatus: number;
  detail: string | null;
  at: number;
}

/** The agent that acquired a job, and what it reported. Times on the stand-in's clock. */
export interface AgentRun {
  agentId: string;
  agentName: string;
  /** Per-job token handed out at acquire (the agent uses it for the job's calls). */
  jobToken: string;
  acquiredAt: number;
  startedAt: number | null;
  /** As the agent sent them (RFC 3339), for assertions on the agent's own clock. */
  reportedStartedAt: string | null;
  reportedFinishedAt: string | null;
  exitStatus: string | null;
  signal: string | null;
  signalReason: string | null;
  chunksFailedCount: number | null;
}

/** Every finish request that reached a job (agent or stack), accepted or refused. */
export interface FinishAttempt {
  by: "agent" | "stack";
  at: number;
  accepted: boolean;
  /** As sent: a string from the agent, a number from a stack. */
  exitStatus: string | number | null;
  /** Why it was refused, when it was. */
  refusal: string | null;
}

export interface StoredNotification {
  detail: string;
  timestamp: string;
  receivedAt: number;
}

/** A job as the stand-in keeps it. Times are milliseconds on the stand-in's clock. */
export interface StandinJob {
  id: string;
  state: JobState;
  queueKey: string;
  priority: number;
  agentQueryRules: string[];
  command: string;
  env: Record<string, string>;
  label: string;
  createdAt: number;
  scheduledAt: number;
  seq: number;
  pipeline: { slug: string; uuid: string };
  build: { uuid: string; number: number; branch: string };
  step: { key: string | null; uuid: string };
  reservation: Reservation | null;
  finish: StackFinish | null;
  finishedAt: number | null;
  agentRun: AgentRun | null;
  finishAttempts: FinishAttempt[];
  notifications: StoredNotification[];
  history: { state: JobState; at: number; reason: string }[];
}

export interface StandinQueue {
  key: string;
  id: string;
  paused: boolean;
}

export interface StandinStack {
  id: string;
  key: string;
  type: string;
  queueKey: string;
  metadata: Record<string, string>;
  state: "connected" | "disconnected" | "lost";
  registeredAt: number;
  lastConnectedOn: number | null;
  deregistered: boolean;
}

/** One HTTP request the stand-in received, for assertions. */
export interface CallRecord {
  seq: number;
  /** Stand-in clock time and wall time when the request arrived. */
  at: number;
  wallAt: number;
  method: string;
  path: string;
  query: Record<string, string>;
  endpoint: EndpointName | null;
  stackKey: string | null;
  jobUuid: string | null;
  /** The registered agent that made an Agent API call, once its token is known. */
  agentId: string | null;
  headers: { authorization?: string; userAgent?: string; contentType?: string; accept?: string };
  /** Parsed JSON body, the raw text if it was not JSON, or null when empty. */
  body: unknown;
  /** Response status; null if the connection was dropped without an answer. */
  status: number | null;
  responseBody: unknown;
  /** What the stand-in did on purpose: injected latency, error, dropped connection, rate limit. */
  faults: ("latency" | "error" | "drop" | "rate-limited")[];
}

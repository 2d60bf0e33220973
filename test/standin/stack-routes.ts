// GET /token, POST /stacks/register, POST /stacks/:key/deregister.
import { HttpError, iso, objectBody, ok } from "./route-kit.ts";
import type { RouteDef, RouteRequest } from "./route-kit.ts";
import { StackLimitExceeded } from "./stack-registry.ts";
import type { StandinStack } from "./types.ts";

const STACK_TYPES = ["kubernetes", "elastic", "custom"];
const STACK_KEY_PATTERN = /^[A-Za-z0-9_-]+$/;

export function stackResponse(stack: StandinStack, organizationUuid: string): Record<string, unknown> {
  return {
    id: stack.id,
    organization_uuid: organizationUuid,
    key: stack.key,
    type: stack.type,
    cluster_queue_key: stack.queueKey,
    metadata: stack.metadata,
    last_connected_on: stack.lastConnectedOn === null ? null : iso(stack.lastConnectedOn),
    state: stack.state,
  };
}

function register({ body, state }: RouteRequest) {
  const input = objectBody(body);
  const { key, type, queue_key: queueKey, metadata } = input;
  if (typeof key !== "string" || key === "") throw new HttpError(422, "key is required");
  if (!STACK_KEY_PATTERN.test(key) || Buffer.byteLength(key) > 80) {
    throw new HttpError(422, "key may only contain alphanumerics, underscores and dashes, and be at most 80 bytes");
  }
  if (typeof type !== "string" || !STACK_TYPES.includes(type)) throw new HttpError(422, `type must be one of ${STACK_TYPES.join(", ")}`);
  if (typeof queueKey !== "string" || queueKey === "") throw new HttpError(422, "queue_key is required");
  const meta = validMetadata(metadata);
  if (state.knownQueues !== null && !state.store.queue(queueKey)) throw new HttpError(404, "Queue not found");
  state.store.ensureQueue(queueKey);
  try {
    const { stack, created } = state.stacks.register({ key, type, queueKey, metadata: meta }, state.clock.now());
    return ok(stackResponse(stack, state.identity.organization_uuid), created ? 201 : 200);
  } catch (err) {
    if (err instanceof StackLimitExceeded) throw new HttpError(403, err.message);
    throw err;
  }
}

function validMetadata(metadata: unknown): Record<string, string> {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new HttpError(422, "metadata is required and must be an object");
  }
  const entries = Object.entries(metadata);
  if (entries.length > 100) throw new HttpError(422, "metadata cannot have more than 100 keys");
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw new HttpError(422, `metadata value for ${k} must be a string`);
    if (k.length > 64) throw new HttpError(422, `metadata key ${k} is longer than 64 characters`);
    if (v.length > 256) throw new HttpError(422, `metadata value for ${k} is longer than 256 characters`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export const stackRoutes: RouteDef[] = [
  {
    method: "GET", path: "/token", endpoint: "token", scope: null, needsStack: false,
    handle: ({ state }) => ok(state.identity),
  },
  {
    method: "POST", path: "/stacks/register", endpoint: "register", scope: "default", needsStack: false,
    handle: register,
  },
  {
    method: "POST", path: "/stacks/:key/deregister", endpoint: "deregister", scope: "default", needsStack: true,
    handle: ({ stack, state }) => {
      state.stacks.deregister(stack.key);
      return { status: 204, body: null };
    },
  },
];

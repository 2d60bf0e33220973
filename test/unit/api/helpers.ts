// Shared set-up for the client-against-stand-in tests: a stand-in on a manual
// clock with rate limits off (tests that need limits turn them on), and clients
// with fast retry backoff so retry tests stay quick.
import { StacksClient } from "../../../dispatcher/api/index.ts";
import type { StacksClientOptions } from "../../../dispatcher/api/index.ts";
import { ManualClock } from "../../standin/clock.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle, StandinOptions } from "../../standin/server.ts";

export const STACK_KEY = "agentify-test";
export const QUEUE = "kubernetes";

export interface Harness {
  standin: StandinHandle;
  clock: ManualClock;
  client: StacksClient;
  makeClient(overrides?: Partial<StacksClientOptions>): StacksClient;
  /** Registers STACK_KEY on QUEUE. */
  register(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(opts: StandinOptions = {}): Promise<Harness> {
  const clock = new ManualClock(Date.now());
  const standin = await startStandin({ clock, rateLimits: false, ...opts });
  const makeClient = (overrides: Partial<StacksClientOptions> = {}) =>
    new StacksClient({
      endpoint: standin.url,
      token: standin.token,
      userAgent: "agentify-test/0.0.0",
      timeoutMs: 5_000,
      retry: { baseDelayMs: 10, maxDelayMs: 50, jitterMs: 0 },
      ...overrides,
    });
  const client = makeClient();
  return {
    standin, clock, client, makeClient,
    register: async () => {
      await client.registerStack({ key: STACK_KEY, type: "custom", queue_key: QUEUE, metadata: {} });
    },
    stop: () => standin.stop(),
  };
}

/** Runs `fn`, which must reject; returns what it rejected with. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection, but the call succeeded");
}

/** A request that bypasses the client (to send what the client never would). */
export function rawRequest(standin: StandinHandle, method: string, path: string, body?: string, token = standin.token): Promise<Response> {
  return fetch(`${standin.url}${path}`, {
    method,
    headers: { authorization: `Token ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body }),
  });
}

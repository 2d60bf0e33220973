// Fault injection, set per test: random faults from a seeded generator (the same
// seed and request order give the same faults), plus scripted one-shot faults
// ("the next 2 finish calls answer 503") for exact scenarios.
import { seededRandom } from "./random.ts";
import type { Random } from "./random.ts";
import type { EndpointName } from "./types.ts";

export interface FaultConfig {
  /** Seed for the random faults; default 1. */
  seed?: number;
  /** Probability (0..1) that a request is answered with an injected error. */
  errorRate?: number;
  /** Statuses to pick from for injected errors; default [500, 502, 503]. */
  errorStatuses?: number[];
  /** Adds `Retry-After: <n>` to injected errors. */
  retryAfterSeconds?: number;
  /** Added delay before answering: fixed, or uniform in [min, max]. */
  latencyMs?: number | { min: number; max: number };
  /** Probability (0..1) that the connection is closed without an answer. */
  dropRate?: number;
  /** Drop after the request took effect (the answer is lost), instead of before. */
  dropAfterHandling?: boolean;
  /** Only these endpoints are affected; default all. */
  endpoints?: EndpointName[];
}

export interface ScriptedFault {
  /** Which endpoint; default the next request to any endpoint. */
  endpoint?: EndpointName;
  /** Answer with this status (and `{"message"}` body)… */
  status?: number;
  message?: string;
  retryAfterSeconds?: number;
  /** …or close the connection instead (before or after the request took effect). */
  drop?: "before" | "after";
  latencyMs?: number;
  /** How many matching requests this applies to; default 1. */
  times?: number;
}

export type FaultAction =
  | { kind: "none" }
  | { kind: "drop"; when: "before" | "after" }
  | { kind: "error"; status: number; message: string; retryAfterSeconds: number | undefined };

export interface FaultDecision {
  latencyMs: number;
  action: FaultAction;
}

const NO_FAULT: FaultDecision = { latencyMs: 0, action: { kind: "none" } };

export class FaultInjector {
  #config: FaultConfig | null = null;
  #random: Random = seededRandom(1);
  readonly #scripted: (ScriptedFault & { remaining: number })[] = [];

  /** Replaces the random-fault config (null clears it) and reseeds. */
  set(config: FaultConfig | null): void {
    this.#config = config;
    this.#random = seededRandom(config?.seed ?? 1);
  }

  script(fault: ScriptedFault): void {
    this.#scripted.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.set(null);
    this.#scripted.length = 0;
  }

  decide(endpoint: EndpointName): FaultDecision {
    const scripted = this.#takeScripted(endpoint);
    if (scripted) return scripted;
    const config = this.#config;
    if (!config || (config.endpoints && !config.endpoints.includes(endpoint))) return NO_FAULT;
    // Always draw in the same order so one seed replays the same sequence.
    const latencyDraw = this.#random();
    const dropDraw = this.#random();
    const errorDraw = this.#random();
    const statusDraw = this.#random();
    const latencyMs = latencyFrom(config.latencyMs, latencyDraw);
    if (dropDraw < (config.dropRate ?? 0)) {
      return { latencyMs, action: { kind: "drop", when: config.dropAfterHandling ? "after" : "before" } };
    }
    if (errorDraw < (config.errorRate ?? 0)) {
      const statuses = config.errorStatuses ?? [500, 502, 503];
      const status = statuses[Math.floor(statusDraw * statuses.length)] ?? 500;
      return { latencyMs, action: { kind: "error", status, message: "Injected fault", retryAfterSeconds: config.retryAfterSeconds } };
    }
    return { latencyMs, action: { kind: "none" } };
  }

  #takeScripted(endpoint: EndpointName): FaultDecision | null {
    const index = this.#scripted.findIndex((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (index === -1) return null;
    const fault = this.#scripted[index] as ScriptedFault & { remaining: number };
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#scripted.splice(index, 1);
    const latencyMs = fault.latencyMs ?? 0;
    if (fault.drop) return { latencyMs, action: { kind: "drop", when: fault.drop } };
    if (fault.status !== undefined) {
      return {
        latencyMs,
        action: { kind: "error", status: fault.status, message: fault.message ?? "Injected fault", retryAfterSeconds: fault.retryAfterSeconds },
      };
    }
    return { latencyMs, action: { kind: "none" } };
  }
}

function latencyFrom(latency: FaultConfig["latencyMs"], draw: number): number {
  if (latency === undefined) return 0;
  if (typeof latency === "number") return latency;
  return Math.round(latency.min + draw * (latency.max - latency.min));
}

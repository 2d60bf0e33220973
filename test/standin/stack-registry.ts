// Registered stacks. Register is idempotent (201 new, 200 existing); deregister
// frees the key, after which calls under /stacks/:key answer 404 until it is
// registered again.
import { randomUUID } from "node:crypto";
import type { StandinStack } from "./types.ts";

export class StackLimitExceeded extends Error {}

export class StackRegistry {
  readonly #stacks = new Map<string, StandinStack>();
  readonly #maxStacks: number;

  constructor(maxStacks: number) {
    this.#maxStacks = maxStacks;
  }

  register(input: { key: string; type: string; queueKey: string; metadata: Record<string, string> }, now: number): { stack: StandinStack; created: boolean } {
    const existing = this.#stacks.get(input.key);
    if (existing && !existing.deregistered) {
      Object.assign(existing, { type: input.type, queueKey: input.queueKey, metadata: input.metadata, state: "connected", lastConnectedOn: now });
      return { stack: existing, created: false };
    }
    if (this.active().length >= this.#maxStacks) throw new StackLimitExceeded("Stack limit exceeded for organization");
    const stack: StandinStack = {
      id: existing?.id ?? randomUUID(), key: input.key, type: input.type, queueKey: input.queueKey,
      metadata: input.metadata, state: "connected", registeredAt: now, lastConnectedOn: now, deregistered: false,
    };
    this.#stacks.set(input.key, stack);
    return { stack, created: true };
  }

  /** An active (registered, not deregistered) stack. */
  find(key: string): StandinStack | undefined {
    const stack = this.#stacks.get(key);
    return stack && !stack.deregistered ? stack : undefined;
  }

  deregister(key: string): void {
    const stack = this.find(key);
    if (stack) Object.assign(stack, { deregistered: true, state: "disconnected" });
  }

  active(): StandinStack[] {
    return [...this.#stacks.values()].filter((s) => !s.deregistered);
  }

  all(): StandinStack[] {
    return [...this.#stacks.values()];
  }
}

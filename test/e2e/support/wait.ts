// Polling with a deadline, for state that the apiserver or a controller reaches asynchronously.
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Calls `probe` until it returns something other than undefined, then resolves to that.
 * Fails after `timeoutMs` with `what` and the last error `probe` threw, if any.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

// Leader election on one Lease, with client-go's rules: a candidate takes the Lease only once the
// holder has not renewed it for a whole lease duration *as observed on this process's own clock*
// (never trusting another process's clock); the leader renews every retry period and gives up
// leadership if it has not renewed within the renew deadline, which is shorter than the lease
// duration, so it stops before anyone else may start.
//
// isLeader() is computed from time, not a flag: a process that was frozen (SIGSTOP) past its renew
// deadline is no longer leader the instant it resumes, before any timer fires, and stays so until
// it wins the Lease again. Callers check it right before each action that only a leader may take.
import { LeaseConflict, microTime, type LeaseApi, type LeaseRecord, type StoredLease } from "./lease.ts";

export interface ElectorTiming {
  /** How long a Lease lasts without renewal before others may take it. Default 15 s. */
  leaseDurationMs: number;
  /** The leader stops leading if it could not renew for this long. Default 10 s. */
  renewDeadlineMs: number;
  /** How often candidates try and the leader renews. Default 2 s. */
  retryPeriodMs: number;
}

export const DEFAULT_TIMING: ElectorTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface ElectorOptions {
  identity: string;
  api: LeaseApi;
  timing?: Partial<ElectorTiming>;
  now?: () => number;
  onStartedLeading?: () => void;
  onStoppedLeading?: (why: string) => void;
  onError?: (err: unknown) => void;
}

export class LeaderElector {
  readonly identity: string;
  readonly timing: ElectorTiming;
  readonly #api: LeaseApi;
  readonly #now: () => number;
  readonly #opts: ElectorOptions;
  /** Local time of our last successful acquire or renew; undefined when not leading. */
  #renewedAt: number | undefined;
  /** What we last saw of the Lease, and when (local clock) it last changed. */
  #observed: { record: LeaseRecord; resourceVersion: string; at: number } | undefined;
  /** Local time at the end of the last round that completed without an error (a conflict included). */
  #roundOkAt: number | undefined;
  /** Why the last round failed; undefined when it succeeded. */
  #roundError: string | undefined;

  constructor(opts: ElectorOptions) {
    this.identity = opts.identity;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    if (!(this.timing.renewDeadlineMs < this.timing.leaseDurationMs)) throw new Error("leader election: renew deadline must be shorter than the lease duration");
    if (!(this.timing.retryPeriodMs < this.timing.renewDeadlineMs)) throw new Error("leader election: retry period must be shorter than the renew deadline");
    this.#api = opts.api;
    this.#now = opts.now ?? Date.now;
    this.#opts = opts;
  }

  /** True while our last renewal is younger than the renew deadline. */
  isLeader(): boolean {
    return this.#renewedAt !== undefined && this.#now() - this.#renewedAt < this.timing.renewDeadlineMs;
  }

  /** When a round last completed without an error (local clock), and why the last one failed, if it did. */
  lastRound(): { okAt: number | undefined; error: string | undefined } {
    return { okAt: this.#roundOkAt, error: this.#roundError };
  }

  /** One round: try to acquire or renew, and report a loss of leadership. Returns isLeader(). */
  async tick(): Promise<boolean> {
    const wasLeader = this.#renewedAt !== undefined;
    if (wasLeader && !this.isLeader()) this.#lose(`not renewed for ${String(this.#now() - (this.#renewedAt ?? 0))} ms (renew deadline ${String(this.timing.renewDeadlineMs)} ms)`);
    const before = this.#now();
    let won = false;
    try {
      won = await this.#tryAcquireOrRenew(before);
      this.#roundOkAt = this.#now();
      this.#roundError = undefined;
    } catch (err) {
      this.#roundError = err instanceof Error ? err.message : String(err);
      this.#opts.onError?.(err);
    }
    if (won) {
      const first = this.#renewedAt === undefined;
      // Count the renewal from when we asked: the Lease was ours no later than that.
      this.#renewedAt = before;
      if (!this.isLeader()) {
        this.#lose("the renewal itself took longer than the renew deadline");
        return false;
      }
      if (first) this.#opts.onStartedLeading?.();
    } else if (this.#renewedAt !== undefined && (!this.isLeader() || this.#observed?.record.holderIdentity !== this.identity)) {
      this.#lose(this.#observed?.record.holderIdentity !== this.identity ? `the lease is held by ${this.#observed?.record.holderIdentity ?? "?"}` : "renewal failed past the renew deadline");
    }
    return this.isLeader();
  }

  /** Runs tick() every retry period until the signal aborts; then releases the Lease if held. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.timing.retryPeriodMs);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
    await this.release();
  }

  /** Give the Lease up, so that a standby takes over at its next round. */
  async release(): Promise<void> {
    if (!this.isLeader() || !this.#observed) {
      if (this.#renewedAt !== undefined) this.#lose("stopped");
      return;
    }
    const { record, resourceVersion } = this.#observed;
    this.#lose("released");
    try {
      // An empty holder is free for anyone at once (client-go releases the same way).
      await this.#api.update({ ...record, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(this.#now()) }, resourceVersion);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  #lose(why: string): void {
    this.#renewedAt = undefined;
    this.#opts.onStoppedLeading?.(why);
  }

  async #tryAcquireOrRenew(now: number): Promise<boolean> {
    const durationS = Math.ceil(this.timing.leaseDurationMs / 1000);
    const mine = (prev: LeaseRecord | undefined): LeaseRecord => {
      const keep = prev !== undefined && prev.holderIdentity === this.identity;
      return {
        holderIdentity: this.identity,
        leaseDurationSeconds: durationS,
        acquireTime: keep ? prev.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: prev === undefined ? 0 : keep ? prev.leaseTransitions : prev.leaseTransitions + 1,
      };
    };
    let current: StoredLease | undefined;
    try {
      current = await this.#api.get();
      if (current === undefined) {
        this.#see(await this.#api.create(mine(undefined)), now);
        return true;
      }
      this.#see(current, now);
      const held = current.record.holderIdentity;
      const observedAt = this.#observed?.at ?? now;
      const expired = now - observedAt >= current.record.leaseDurationSeconds * 1000;
      if (held !== "" && held !== this.identity && !expired) return false;
      // Renewing needs us to still be leader; taking over needs the holder's lease to have lapsed.
      if (held === this.identity && this.#renewedAt !== undefined && !this.isLeader()) return false;
      this.#see(await this.#api.update(mine(current.record), current.resourceVersion), now);
      return true;
    } catch (err) {
      if (err instanceof LeaseConflict) return false; // someone else wrote first: try again next round
      throw err;
    }
  }

  /** Remember the Lease; its observation time moves only when its content changed. */
  #see(lease: StoredLease, now: number): void {
    const prev = this.#observed;
    const same = prev !== undefined && prev.record.holderIdentity === lease.record.holderIdentity && prev.record.renewTime === lease.record.renewTime;
    this.#observed = { record: lease.record, resourceVersion: lease.resourceVersion, at: same ? prev.at : now };
  }
}

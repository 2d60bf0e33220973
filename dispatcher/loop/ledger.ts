// Capacity (max-in-flight) and duplicate accounting. Nothing here is a counter that can drift:
// the number in flight is computed from two sets every time it is asked for, so a missed event
// cannot leak a slot (agent-stack-k8s issues #302, #539), and reconcile() rebuilds the cluster
// half from the informer's cache.
//
//   local:   jobs this process reserved and has not yet seen as a Kubernetes Job
//   cluster: our Kubernetes Jobs (by job UUID), finished or not, as the informer reports them
//
// In flight = unfinished cluster Jobs ∪ local jobs that are queued, being created, or created
// but not yet reported. Known (never reserve or create again) = local ∪ cluster.

export type LocalStage =
  /** Reserved, waiting for a creation worker. */
  | "queued"
  /** A worker is fetching, building or creating it. */
  | "dispatching"
  /** Created (or found to exist); waiting for the informer to report it. */
  | "created"
  /** Being finished on Buildkite with a reason; no Kubernetes Job, so it takes no slot. */
  | "finishing";

interface LocalRecord {
  stage: LocalStage;
  since: number;
}

const TAKES_A_SLOT: ReadonlySet<LocalStage> = new Set(["queued", "dispatching", "created"]);

export class DispatchLedger {
  /** 0 = unlimited. */
  readonly maxInFlight: number;
  readonly #now: () => number;
  readonly #local = new Map<string, LocalRecord>();
  readonly #cluster = new Map<string, boolean>();

  constructor(maxInFlight: number, now: () => number = Date.now) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 0) throw new Error(`max-in-flight must be an integer >= 0, got ${maxInFlight}`);
    this.maxInFlight = maxInFlight;
    this.#now = now;
  }

  // ---- local lifecycle

  setStage(uuid: string, stage: LocalStage): void {
    // A Job the informer already reported needs no "created" placeholder.
    if (stage === "created" && this.#cluster.has(uuid)) {
      this.#local.delete(uuid);
      return;
    }
    this.#local.set(uuid, { stage, since: this.#now() });
  }

  stage(uuid: string): LocalStage | undefined {
    return this.#local.get(uuid)?.stage;
  }

  release(uuid: string): void {
    this.#local.delete(uuid);
  }

  localIds(stage?: LocalStage): string[] {
    const ids: string[] = [];
    for (const [uuid, record] of this.#local) if (stage === undefined || record.stage === stage) ids.push(uuid);
    return ids;
  }

  // ---- cluster view (informer events)

  observeJob(uuid: string, finished: boolean): void {
    this.#cluster.set(uuid, finished);
    if (this.#local.get(uuid)?.stage === "created") this.#local.delete(uuid);
  }

  forgetJob(uuid: string): void {
    this.#cluster.delete(uuid);
  }

  hasJob(uuid: string): boolean {
    return this.#cluster.has(uuid);
  }

  /**
   * Replaces the cluster view with a snapshot of the informer's cache, and drops "created"
   * placeholders older than `staleAfterMs` that the cache does not hold (their Job was deleted
   * before the informer saw it). Returns the dropped placeholders.
   */
  reconcile(snapshot: ReadonlyMap<string, boolean>, staleAfterMs: number): string[] {
    this.#cluster.clear();
    for (const [uuid, finished] of snapshot) this.#cluster.set(uuid, finished);
    const dropped: string[] = [];
    const cutoff = this.#now() - staleAfterMs;
    for (const [uuid, record] of this.#local) {
      if (record.stage !== "created") continue;
      if (this.#cluster.has(uuid)) this.#local.delete(uuid);
      else if (record.since <= cutoff) {
        this.#local.delete(uuid);
        dropped.push(uuid);
      }
    }
    return dropped;
  }

  // ---- questions

  /** Reserved, being created or a Kubernetes Job exists: never reserve or create it again. */
  isKnown(uuid: string): boolean {
    return this.#local.has(uuid) || this.#cluster.has(uuid);
  }

  inFlight(): number {
    let count = 0;
    for (const finished of this.#cluster.values()) if (!finished) count++;
    for (const [uuid, record] of this.#local) {
      if (TAKES_A_SLOT.has(record.stage) && !this.#cluster.has(uuid)) count++;
    }
    return count;
  }

  /** How many more jobs may be reserved now (Infinity when unlimited). */
  freeSlots(): number {
    if (this.maxInFlight === 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.maxInFlight - this.inFlight());
  }

  counts(): { local: Record<LocalStage, number>; clusterUnfinished: number; clusterFinished: number } {
    const local: Record<LocalStage, number> = { queued: 0, dispatching: 0, created: 0, finishing: 0 };
    for (const record of this.#local.values()) local[record.stage]++;
    let clusterUnfinished = 0;
    for (const finished of this.#cluster.values()) if (!finished) clusterUnfinished++;
    return { local, clusterUnfinished, clusterFinished: this.#cluster.size - clusterUnfinished };
  }
}

// The coordination.k8s.io/v1 Lease as leader election reads and writes it, and the three calls it
// needs. Kept apart from any Kubernetes client so the elector is tested against an in-memory store
// and the real apiserver alike.

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** RFC 3339 with microseconds, as the apiserver stores MicroTime. */
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

export interface StoredLease {
  record: LeaseRecord;
  /** The optimistic-concurrency token: an update with a stale one fails with a conflict. */
  resourceVersion: string;
}

/** A create of an existing Lease, or an update with a stale resourceVersion. */
export class LeaseConflict extends Error {
  constructor(what: string) {
    super(`lease conflict: ${what}`);
    this.name = "LeaseConflict";
  }
}

export interface LeaseApi {
  /** undefined when the Lease does not exist. */
  get(): Promise<StoredLease | undefined>;
  /** Throws LeaseConflict if it exists. */
  create(record: LeaseRecord): Promise<StoredLease>;
  /** Throws LeaseConflict if resourceVersion is stale. */
  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease>;
}

/** MicroTime in the form the apiserver accepts: 2026-12-01T10:00:00.123000Z. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

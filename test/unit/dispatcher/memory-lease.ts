// An in-memory Lease store with the apiserver's rules the elector relies on: create of an existing
// Lease and update with a stale resourceVersion conflict; `failing` makes every call throw, as an
// unreachable apiserver does.
import { LeaseConflict, type LeaseApi, type LeaseRecord, type StoredLease } from "../../../dispatcher/leader/lease.ts";

export class MemoryLease implements LeaseApi {
  stored: StoredLease | undefined;
  #rv = 0;
  failing = false;
  async get(): Promise<StoredLease | undefined> {
    if (this.failing) throw new Error("apiserver unavailable");
    return this.stored && structuredClone(this.stored);
  }
  async create(record: LeaseRecord): Promise<StoredLease> {
    if (this.failing) throw new Error("apiserver unavailable");
    if (this.stored) throw new LeaseConflict("exists");
    this.stored = { record: { ...record }, resourceVersion: String(++this.#rv) };
    return structuredClone(this.stored);
  }
  async update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
    if (this.failing) throw new Error("apiserver unavailable");
    if (this.stored?.resourceVersion !== resourceVersion) throw new LeaseConflict("stale");
    this.stored = { record: { ...record }, resourceVersion: String(++this.#rv) };
    return structuredClone(this.stored);
  }
}

// The reserved jobs waiting for a creation worker: highest Buildkite priority first, then the
// order they arrived in (oldest scheduled first, as listed). A binary heap with an index by id,
// so removing a cancelled job and rejecting a duplicate are cheap.

export interface Prioritised {
  id: string;
  priority: number;
}

interface Entry<T> {
  item: T;
  seq: number;
}

export class PriorityQueue<T extends Prioritised> {
  readonly #heap: Entry<T>[] = [];
  readonly #live = new Map<string, Entry<T>>();
  #seq = 0;

  get size(): number {
    return this.#live.size;
  }

  has(id: string): boolean {
    return this.#live.has(id);
  }

  /** false (and no change) when an item with the same id is already queued. */
  push(item: T): boolean {
    if (this.#live.has(item.id)) return false;
    const entry = { item, seq: this.#seq++ };
    this.#live.set(item.id, entry);
    this.#heap.push(entry);
    this.#up(this.#heap.length - 1);
    return true;
  }

  pop(): T | undefined {
    for (;;) {
      const top = this.#takeTop();
      if (top === undefined) return undefined;
      // Entries removed by id stay in the heap until they surface; skip them.
      if (this.#live.get(top.item.id) === top) {
        this.#live.delete(top.item.id);
        return top.item;
      }
    }
  }

  remove(id: string): T | undefined {
    const entry = this.#live.get(id);
    if (!entry) return undefined;
    this.#live.delete(id);
    if (this.#heap.length > 2 * this.#live.size + 64) this.#compact();
    return entry.item;
  }

  /** Queued items, highest priority first (a copy). */
  items(): T[] {
    return [...this.#live.values()].sort(compare).map((e) => e.item);
  }

  #takeTop(): Entry<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length > 0) {
      heap[0] = last;
      this.#down(0);
    }
    return top;
  }

  #compact(): void {
    const keep = this.#heap.filter((e) => this.#live.get(e.item.id) === e);
    this.#heap.length = 0;
    for (const e of keep) {
      this.#heap.push(e);
      this.#up(this.#heap.length - 1);
    }
  }

  #up(index: number): void {
    const heap = this.#heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[i] as Entry<T>, heap[parent] as Entry<T>) >= 0) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry<T>, heap[i] as Entry<T>];
      i = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < heap.length && compare(heap[left] as Entry<T>, heap[best] as Entry<T>) < 0) best = left;
      if (right < heap.length && compare(heap[right] as Entry<T>, heap[best] as Entry<T>) < 0) best = right;
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best] as Entry<T>, heap[i] as Entry<T>];
      i = best;
    }
  }
}

function compare<T extends Prioritised>(a: Entry<T>, b: Entry<T>): number {
  return b.item.priority - a.item.priority || a.seq - b.seq;
}

// A list-then-watch cache that keeps only the facts the dispatcher needs from each object
// (agent-stack-k8s strips its informer objects for the same reason: an agentified Job is
// several KB, and a busy stack has thousands). Relists on 410 Gone and reports what changed
// meanwhile as add/update/delete, so the caller's view never drifts from the apiserver's.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { ListPage } from "./clients.ts";
import { ApiException } from "./http.ts";
import type { KubeHttp } from "./http.ts";

export interface Keyed {
  name: string;
  resourceVersion: string;
}

export interface InformerHandlers<T> {
  /** `initial` is true for objects found by the first list (before the informer is synced). */
  add?(item: T, initial: boolean): void;
  update?(item: T, previous: T): void;
  delete?(item: T): void;
}

export interface CompactInformerOptions<T extends Keyed> {
  kind: string;
  /** e.g. /apis/batch/v1/namespaces/ci/jobs */
  path: string;
  labelSelector: string;
  list(labelSelector: string, limit: number, continueToken: string | undefined): Promise<ListPage<unknown>>;
  watch: Pick<KubeHttp, "watch">;
  /** Facts from a typed (list) or raw (watch) object; undefined to ignore the object. */
  toFacts(object: unknown): T | undefined;
  handlers: InformerHandlers<T>;
  logger: Logger;
  pageSize?: number;
}

interface WatchEvent {
  type: string;
  object: unknown;
}

export class CompactInformer<T extends Keyed> {
  readonly #opts: CompactInformerOptions<T>;
  readonly #items = new Map<string, T>();
  #resourceVersion = "";
  #stopped = false;
  #synced = false;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: CompactInformerOptions<T>) {
    this.#opts = opts;
  }

  get synced(): boolean {
    return this.#synced;
  }

  get(name: string): T | undefined {
    return this.#items.get(name);
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  get size(): number {
    return this.#items.size;
  }

  /** Lists (retrying until it works or stop() is called), then watches in the background. */
  async start(): Promise<void> {
    await this.#relistUntilDone(true);
    this.#synced = true;
    this.#loop = this.#watchLoop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    await this.#loop;
  }

  async #relistUntilDone(initial: boolean): Promise<void> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        await this.#relist(initial);
        return;
      } catch (err) {
        this.#opts.logger.warn({ err, kind: this.#opts.kind, attempt }, "list failed; retrying");
        await sleep(Math.min(200 * 2 ** attempt, 5000));
      }
    }
  }

  async #relist(initial: boolean): Promise<void> {
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.#opts.list(this.#opts.labelSelector, this.#opts.pageSize ?? 500, continueToken);
      for (const object of page.items) {
        const facts = this.#opts.toFacts(object);
        if (facts) fresh.set(facts.name, facts);
      }
      continueToken = page.continueToken;
      resourceVersion = page.resourceVersion;
    } while (continueToken);
    for (const [name, previous] of this.#items) {
      if (!fresh.has(name)) {
        this.#items.delete(name);
        this.#emit(() => this.#opts.handlers.delete?.(previous));
      }
    }
    for (const [name, item] of fresh) this.#apply(name, item, initial);
    this.#resourceVersion = resourceVersion;
  }

  #apply(name: string, item: T, initial = false): void {
    const previous = this.#items.get(name);
    this.#items.set(name, item);
    if (previous === undefined) this.#emit(() => this.#opts.handlers.add?.(item, initial));
    else if (previous.resourceVersion !== item.resourceVersion) this.#emit(() => this.#opts.handlers.update?.(item, previous));
  }

  #emit(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#opts.logger.error({ err, kind: this.#opts.kind }, "informer handler failed");
    }
  }

  async #watchLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const outcome = await this.#watchOnce();
      if (this.#stopped) return;
      if (outcome === "gone") {
        await this.#relistUntilDone(false);
        failures = 0;
      } else if (outcome === "error") {
        failures++;
        await sleep(Math.min(100 * 2 ** failures, 5000));
      } else {
        failures = 0;
      }
    }
  }

  /** One watch request; resolves when it ends: "closed" (normal/timeout), "gone" (410), "error". */
  #watchOnce(): Promise<"closed" | "gone" | "error"> {
    return new Promise((resolve) => {
      let gone = false;
      const query = { labelSelector: this.#opts.labelSelector, resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 290 };
      const onEvent = (event: WatchEvent): void => {
        if (event.type === "ERROR") {
          const code = (event.object as { code?: number } | null)?.code;
          if (code === 410) {
            // Our resourceVersion is too old: end this watch now and relist.
            gone = true;
            this.#abort?.abort();
          } else {
            this.#opts.logger.warn({ kind: this.#opts.kind, status: event.object }, "watch error event");
          }
          return;
        }
        this.#handleEvent(event);
      };
      const onDone = (err?: Error): void => {
        this.#abort = undefined;
        if (gone || (err instanceof ApiException && err.code === 410)) return resolve("gone");
        if (!err || err.name === "AbortError") return resolve("closed");
        this.#opts.logger.warn({ err, kind: this.#opts.kind }, "watch failed; re-watching");
        resolve("error");
      };
      this.#abort = this.#opts.watch.watch(this.#opts.path, query, onEvent, onDone);
      if (this.#stopped) this.#abort.abort();
    });
  }

  #handleEvent(event: WatchEvent): void {
    const rv = (event.object as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
    if (event.type === "BOOKMARK") {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const facts = this.#opts.toFacts(event.object);
    if (!facts) return;
    if (event.type === "DELETED") {
      const previous = this.#items.get(facts.name);
      this.#items.delete(facts.name);
      this.#emit(() => this.#opts.handlers.delete?.(previous ?? facts));
    } else if (event.type === "ADDED" || event.type === "MODIFIED") {
      this.#apply(facts.name, facts);
    }
    if (rv) this.#resourceVersion = rv;
  }
}

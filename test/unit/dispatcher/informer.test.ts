import { expect } from "chai";
import type { ListPage } from "../../../dispatcher/kube/clients.ts";
import type { WatchEvent } from "../../../dispatcher/kube/http.ts";
import { CompactInformer } from "../../../dispatcher/kube/informer.ts";
import { eventually, silentLogger } from "./helpers.ts";

interface Item {
  name: string;
  resourceVersion: string;
}

function obj(name: string, rv: string) {
  return { metadata: { name, resourceVersion: rv } };
}

/** A scripted watch: each call takes the next script entry, a function driving the callbacks. */
class FakeWatch {
  readonly calls: Record<string, unknown>[] = [];
  readonly scripts: ((event: (type: string, o: unknown) => void, done: (err?: Error) => void) => void)[] = [];

  watch(_path: string, params: Record<string, unknown> | undefined, onEvent: (e: WatchEvent) => void, done: (err?: Error) => void): AbortController {
    this.calls.push(params ?? {});
    const script = this.scripts.shift();
    const controller = new AbortController();
    controller.signal.addEventListener("abort", () => {
      const err = new Error("aborted");
      err.name = "AbortError";
      done(err);
    });
    if (script) setTimeout(() => script((type, object) => onEvent({ type, object }), done), 1);
    return controller;
  }
}

describe("dispatcher compact informer", () => {
  it("lists, then applies watch events, and relists on 410 Gone reporting what disappeared", async () => {
    const lists: ListPage<unknown>[] = [
      { items: [obj("a", "1"), obj("b", "2")], resourceVersion: "10", continueToken: undefined },
      { items: [obj("b", "5"), obj("d", "6")], resourceVersion: "20", continueToken: undefined },
    ];
    const watch = new FakeWatch();
    watch.scripts.push(
      (event, done) => {
        event("ADDED", obj("c", "11"));
        event("MODIFIED", obj("a", "12"));
        event("BOOKMARK", { metadata: { resourceVersion: "13" } });
        done();
      },
      (event) => event("ERROR", { code: 410, reason: "Expired" }),
    );
    const seen: string[] = [];
    const informer = new CompactInformer<Item>({
      kind: "Thing", path: "/things", labelSelector: "x", watch, logger: silentLogger(),
      list: async () => lists.shift() ?? { items: [], resourceVersion: "30", continueToken: undefined },
      toFacts: (o) => ({ name: (o as ReturnType<typeof obj>).metadata.name, resourceVersion: (o as ReturnType<typeof obj>).metadata.resourceVersion }),
      handlers: {
        add: (i, initial) => seen.push(`add ${i.name}${initial ? " (initial)" : ""}`),
        update: (i) => seen.push(`update ${i.name}@${i.resourceVersion}`),
        delete: (i) => seen.push(`delete ${i.name}`),
      },
    });
    await informer.start();
    expect(informer.synced).to.equal(true);
    await eventually(() => seen.includes("add d"), 2000, "the relist");
    await informer.stop();
    expect(seen).to.deep.equal([
      "add a (initial)", "add b (initial)",
      "add c", "update a@12",
      // 410: relisted; a and c are gone, b changed, d is new.
      "delete a", "delete c", "update b@5", "add d",
    ]);
    expect(watch.calls[0]?.["resourceVersion"]).to.equal("10");
    expect(watch.calls[1]?.["resourceVersion"]).to.equal("13");
    expect(watch.calls[2]?.["resourceVersion"]).to.equal("20");
    expect([...informer.values()].map((i) => i.name).sort()).to.deep.equal(["b", "d"]);
  });

  it("keeps retrying the first list until it works", async () => {
    let attempts = 0;
    const informer = new CompactInformer<Item>({
      kind: "Thing", path: "/things", labelSelector: "x", watch: new FakeWatch(), logger: silentLogger(),
      list: async () => {
        if (++attempts < 2) throw new Error("connection refused");
        return { items: [obj("a", "1")], resourceVersion: "1", continueToken: undefined };
      },
      toFacts: (o) => ({ name: (o as ReturnType<typeof obj>).metadata.name, resourceVersion: "1" }),
      handlers: {},
    });
    await informer.start();
    expect(attempts).to.equal(2);
    expect(informer.size).to.equal(1);
    await informer.stop();
  });
});

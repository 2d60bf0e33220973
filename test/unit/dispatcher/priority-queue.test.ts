import { expect } from "chai";
import fc from "fast-check";
import { PriorityQueue } from "../../../dispatcher/loop/priority-queue.ts";

describe("dispatcher priority queue", () => {
  it("pops the highest priority first, ties in arrival order", () => {
    const q = new PriorityQueue<{ id: string; priority: number }>();
    for (const [id, priority] of [["a", 0], ["b", 5], ["c", 0], ["d", 5], ["e", -1]] as const) q.push({ id, priority });
    const order: string[] = [];
    for (let item = q.pop(); item; item = q.pop()) order.push(item.id);
    expect(order).to.deep.equal(["b", "d", "a", "c", "e"]);
  });

  it("rejects duplicates and forgets removed items", () => {
    const q = new PriorityQueue<{ id: string; priority: number }>();
    expect(q.push({ id: "a", priority: 1 })).to.equal(true);
    expect(q.push({ id: "a", priority: 9 })).to.equal(false);
    q.push({ id: "b", priority: 2 });
    expect(q.remove("b")?.id).to.equal("b");
    expect(q.size).to.equal(1);
    expect(q.pop()?.id).to.equal("a");
    expect(q.pop()).to.equal(undefined);
    expect(q.push({ id: "b", priority: 2 })).to.equal(true);
  });

  it("agrees with a stable sort under any mix of pushes, pops and removals", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), id: fc.integer({ min: 0, max: 30 }), priority: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant("pop" as const) }),
      fc.record({ kind: fc.constant("remove" as const), id: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const q = new PriorityQueue<{ id: string; priority: number }>();
      let model: { id: string; priority: number; seq: number }[] = [];
      let seq = 0;
      for (const o of ops) {
        if (o.kind === "push") {
          const id = String(o.id);
          const added = q.push({ id, priority: o.priority });
          expect(added).to.equal(!model.some((m) => m.id === id));
          if (added) model.push({ id, priority: o.priority, seq: seq++ });
        } else if (o.kind === "pop") {
          model.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
          expect(q.pop()?.id).to.equal(model.shift()?.id);
        } else {
          const id = String(o.id);
          expect(q.remove(id)?.id).to.equal(model.find((m) => m.id === id)?.id);
          model = model.filter((m) => m.id !== id);
        }
        expect(q.size).to.equal(model.length);
      }
    }));
  });
});

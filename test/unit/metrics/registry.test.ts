// The small Prometheus registry must expose what prom-client exposes for the same metrics
// and observations, byte for byte, so that scrapes and dashboards see no difference.
import assert from "node:assert/strict";
import * as prom from "prom-client";
import { Counter, Gauge, Histogram, Registry } from "../../../metrics/registry.ts";

type Lib = { Registry: new () => { metrics(): Promise<string> }; Counter: new (o: object) => unknown; Gauge: new (o: object) => unknown; Histogram: new (o: object) => unknown };

/** The same metrics and observations through either library. */
async function exposition(lib: Lib): Promise<string> {
  const registry = new lib.Registry();
  const registers = [registry];
  const counter = new lib.Counter({ name: "t_total", help: "A counter\\ with \"quotes\"\nand a newline.", labelNames: ["result", "reason"], registers }) as Counter<"result" | "reason">;
  const plain = new lib.Counter({ name: "t_plain_total", help: "No labels, never incremented.", registers }) as Counter;
  const gauge = new lib.Gauge({ name: "t_gauge", help: "A gauge.", registers, collect() { (this as Gauge).set(7.5); } }) as Gauge;
  const labelled = new lib.Gauge({ name: "t_labelled", help: "Labelled gauge.", labelNames: ["kind"], registers }) as Gauge<"kind">;
  const histogram = new lib.Histogram({ name: "t_seconds", help: "A histogram.", labelNames: ["result"], buckets: [0.001, 0.01, 0.1, 1], registers }) as Histogram<"result">;
  const bare = new lib.Histogram({ name: "t_bare_seconds", help: "Unlabelled, never observed.", buckets: [0.5, 1], registers }) as Histogram;
  counter.inc({ result: "ok", reason: 'with "quote" and \\ and\nnewline' });
  counter.inc({ result: "ok", reason: "x" }, 3);
  counter.inc({ result: "denied", reason: "x" }, 0);
  labelled.set({ kind: "a" }, 2);
  labelled.inc({ kind: "a" });
  labelled.dec({ kind: "b" }, 4);
  histogram.zero({ result: "error" });
  for (const v of [0.0005, 0.001, 0.05, 2, 0.3]) histogram.observe({ result: "ok" }, v);
  void plain;
  void gauge;
  void bare;
  return registry.metrics();
}

describe("metrics registry", () => {
  it("exposes exactly what prom-client exposes", async () => {
    assert.equal(await exposition({ Registry, Counter, Gauge, Histogram } as unknown as Lib), await exposition(prom as unknown as Lib));
  });

  it("reads values back as prom-client's get() does", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "x_total", help: "x", labelNames: ["a"], registers: [registry] });
    counter.inc({ a: "1" }, 2);
    const metric = registry.getSingleMetric("x_total");
    assert.deepEqual((await metric!.get()).values, [{ labels: { a: "1" }, value: 2 }]);
  });

  it("refuses unknown labels, a counter going down and a second metric of the same name", () => {
    const registry = new Registry();
    const counter = new Counter({ name: "y_total", help: "y", labelNames: ["a"], registers: [registry] });
    assert.throws(() => counter.inc({ b: "1" } as never), /unknown label b/);
    assert.throws(() => counter.inc(-1), /can only go up/);
    assert.throws(() => new Counter({ name: "y_total", help: "y", registers: [registry] }), /already registered/);
  });
});

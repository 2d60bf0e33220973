// A small Prometheus registry: counters, gauges and histograms with labels, and the text
// exposition format (0.0.4), written as prom-client writes it. prom-client costs ~8 MB of RSS and
// ~100 ms of start-up and hashes a label object on every observation; here each series is a
// plain object found by one Map lookup, which is what an admission or a Job create can afford.

export type Labels<L extends string> = Partial<Record<L, string | number>>;

export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export interface Metric {
  readonly name: string;
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[] }>;
  /** The metric's exposition lines, HELP and TYPE included. */
  render(): string;
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return "Nan";
  return value > 0 ? "+Inf" : "-Inf";
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** `{a="1",b="2"}` in the order given, or "" without labels. */
function labelText(entries: readonly (readonly [string, string | number])[]): string {
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",")}}`;
}

export class Registry {
  readonly contentType = CONTENT_TYPE;
  readonly #metrics = new Map<string, Metric>();

  register(metric: Metric): void {
    if (this.#metrics.has(metric.name)) throw new Error(`a metric named ${metric.name} is already registered`);
    this.#metrics.set(metric.name, metric);
  }

  getSingleMetric(name: string): Metric | undefined {
    return this.#metrics.get(name);
  }

  /** The exposition: metric blocks separated by a blank line, as prom-client writes it. */
  async metrics(): Promise<string> {
    return `${[...this.#metrics.values()].map((metric) => metric.render()).join("\n\n")}\n`;
  }
}

interface Options<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers?: Registry[];
}

/** Series keyed by their label values, in the metric's label order. */
abstract class Base<L extends string, S> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Called before each scrape (e.g. to set a gauge from its source). */
  protected collect: (() => void) | undefined;
  protected readonly series = new Map<string, { labels: [string, string | number][]; state: S }>();
  abstract readonly type: string;

  constructor(opts: Options<L>) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
    for (const registry of opts.registers ?? []) registry.register(this);
  }

  protected abstract fresh(): S;
  protected abstract lines(labels: [string, string | number][], state: S): MetricValue[];

  /** The series for `labels`, created on first use. */
  protected at(labels: Labels<L> | undefined): S {
    let key = "";
    for (const name of this.labelNames) key += `${labels?.[name] ?? ""}\u0000`;
    let entry = this.series.get(key);
    if (entry === undefined) {
      for (const name of Object.keys(labels ?? {})) {
        if (!this.labelNames.includes(name as L)) throw new Error(`${this.name}: unknown label ${name}`);
      }
      const pairs: [string, string | number][] = [];
      for (const name of this.labelNames) if (labels?.[name] !== undefined) pairs.push([name, labels[name]!]);
      entry = { labels: pairs, state: this.fresh() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  #values(): MetricValue[] {
    this.collect?.();
    if (this.series.size === 0 && this.labelNames.length === 0) this.at(undefined);
    const values: MetricValue[] = [];
    for (const { labels, state } of this.series.values()) values.push(...this.lines(labels, state));
    return values;
  }

  async get(): Promise<{ name: string; help: string; type: string; values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: this.type, values: this.#values() };
  }

  render(): string {
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}`;
    for (const v of this.#values()) text += `\n${v.metricName ?? this.name}${labelText(Object.entries(v.labels))} ${formatValue(v.value)}`;
    return text;
  }
}

export class Counter<L extends string = string> extends Base<L, { value: number }> {
  readonly type = "counter";

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  protected lines(labels: [string, string | number][], state: { value: number }): MetricValue[] {
    return [{ labels: Object.fromEntries(labels), value: state.value }];
  }

  inc(labels?: Labels<L> | number, value?: number): void {
    const amount = typeof labels === "number" ? labels : value ?? 1;
    if (!(amount >= 0)) throw new Error(`${this.name}: a counter can only go up (got ${amount})`);
    this.at(typeof labels === "number" ? undefined : labels).value += amount;
  }
}

export class Gauge<L extends string = string> extends Base<L, { value: number }> {
  readonly type = "gauge";

  constructor(opts: Options<L> & { collect?: (this: Gauge<L>) => void }) {
    super(opts);
    this.collect = opts.collect?.bind(this);
  }

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  protected lines(labels: [string, string | number][], state: { value: number }): MetricValue[] {
    return [{ labels: Object.fromEntries(labels), value: state.value }];
  }

  set(labels: Labels<L> | number, value?: number): void {
    if (typeof labels === "number") this.at(undefined).value = labels;
    else this.at(labels).value = value ?? 0;
  }

  inc(labels?: Labels<L> | number, value?: number): void {
    const amount = typeof labels === "number" ? labels : value ?? 1;
    this.at(typeof labels === "number" ? undefined : labels).value += amount;
  }

  dec(labels?: Labels<L> | number, value?: number): void {
    const amount = typeof labels === "number" ? labels : value ?? 1;
    this.at(typeof labels === "number" ? undefined : labels).value -= amount;
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = string> extends Base<L, HistogramState> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(opts: Options<L> & { buckets: readonly number[] }) {
    super(opts);
    this.buckets = [...opts.buckets].sort((a, b) => a - b);
  }

  protected fresh(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  protected lines(labels: [string, string | number][], state: HistogramState): MetricValue[] {
    const rest = Object.fromEntries(labels);
    const values: MetricValue[] = [];
    let cumulative = 0;
    for (const [i, bound] of this.buckets.entries()) {
      cumulative += state.counts[i]!;
      values.push({ labels: { le: bound, ...rest }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    values.push({ labels: { le: "+Inf", ...rest }, value: state.count, metricName: `${this.name}_bucket` });
    values.push({ labels: rest, value: state.sum, metricName: `${this.name}_sum` });
    values.push({ labels: rest, value: state.count, metricName: `${this.name}_count` });
    return values;
  }

  observe(labels: Labels<L> | number, value?: number): void {
    const state = this.at(typeof labels === "number" ? undefined : labels);
    const v = typeof labels === "number" ? labels : value ?? 0;
    const i = this.buckets.findIndex((bound) => v <= bound);
    if (i >= 0) state.counts[i]!++;
    state.sum += v;
    state.count++;
  }

  /** Creates the series for `labels` with every bucket at 0. */
  zero(labels: Labels<L>): void {
    this.at(labels);
  }

  /** Starts a timer; calling the result observes the seconds elapsed and returns them. */
  startTimer(labels?: Labels<L>): (more?: Labels<L>) => number {
    const started = performance.now();
    return (more) => {
      const seconds = (performance.now() - started) / 1000;
      this.observe({ ...labels, ...more }, seconds);
      return seconds;
    };
  }
}

// pino, at the configured level, as JSON or as logfmt (`log-format`, agent-stack-k8s's default).
import { pino } from "pino";
import type { DestinationStream, Level, Logger } from "pino";

const LEVEL_NAMES: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** One JSON log line → `time=… level=… msg=… key=value …`. */
export function toLogfmt(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...rest } = record;
  const head = [
    `time=${new Date(typeof time === "number" ? time : Date.now()).toISOString()}`,
    `level=${typeof level === "number" ? LEVEL_NAMES[level] ?? level : String(level)}`,
    `msg=${logfmtValue(msg ?? "")}`,
  ];
  const tail = Object.entries(rest).map(([k, v]) => `${k}=${logfmtValue(v)}`);
  return `${[...head, ...tail].join(" ")}\n`;
}

export function createLogger(opts: { level: Level; format: "json" | "logfmt"; destination?: DestinationStream }): Logger {
  const base = { component: "dispatcher" };
  if (opts.format === "json") return opts.destination ? pino({ level: opts.level, base }, opts.destination) : pino({ level: opts.level, base });
  const out = opts.destination ?? { write: (chunk: string) => void process.stdout.write(chunk) };
  return pino({ level: opts.level, base }, { write: (chunk: string) => out.write(toLogfmt(chunk)) });
}

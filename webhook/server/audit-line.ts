// Writes a log line whose fields are already JSON text (the audit line's patch is the same
// JSON the answer carries, serialized once) straight to a pino logger's destination, in pino's
// own line format: its level prefix, time, bindings and message key, taken from the logger
// through `pino.symbols` (pino's documented hook for integrations). pino itself would call
// JSON.stringify on the patch object a second time. A logger this cannot reproduce exactly
// (mixin, log formatter, redaction, stream hooks, nested key, message prefix, multistream) is
// reported as unsupported, and the caller logs through pino as usual.
import { pino } from "pino";
import type { Level, Logger } from "pino";

const S = pino.symbols;
const METADATA = Symbol.for("pino.metadata");
// pino sets this one but its type declarations do not list it.
const MSG_PREFIX = (pino.symbols as unknown as Record<string, symbol | undefined>)["msgPrefixSym"];

interface Destination {
  write(line: string): unknown;
}

interface LineFormat {
  prefix: Record<string, string>;
  time: () => string;
  end: string;
  messageKey: string;
  stream: Destination;
}

function internals(logger: Logger): Record<symbol, unknown> {
  return logger as unknown as Record<symbol, unknown>;
}

function lineFormat(logger: Logger): LineFormat | undefined {
  const l = internals(logger);
  const formatters = l[S.formattersSym] as { log?: unknown } | undefined;
  const hooks = l[S.hooksSym] as { streamWrite?: unknown } | undefined;
  const stringifiers = l[S.stringifiersSym] as object | undefined;
  const stream = l[S.streamSym] as (Destination & Record<symbol, unknown>) | undefined;
  const prefix = l[S.lsCacheSym] as Record<string, string> | undefined;
  const time = l[S.timeSym];
  const end = l[S.endSym];
  const messageKey = l[S.messageKeySym];
  if (l[S.mixinSym] || formatters?.log || hooks?.streamWrite || l[S.nestedKeySym] || (MSG_PREFIX !== undefined && l[MSG_PREFIX])) return undefined;
  if (stringifiers !== undefined && Object.getOwnPropertySymbols(stringifiers).length + Object.keys(stringifiers).length > 0) return undefined;
  if (stream === undefined || typeof stream.write !== "function" || stream[METADATA] === true) return undefined;
  if (prefix === undefined || typeof time !== "function" || typeof end !== "string" || typeof messageKey !== "string") return undefined;
  return { prefix, time: time as () => string, end, messageKey, stream };
}

const formats = new WeakMap<Logger, LineFormat | null>();

/** `,"key":<JSON of value>`, or "" for undefined (as pino leaves undefined fields out). */
export function jsonField(key: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  return `,${JSON.stringify(key)}:${typeof value === "number" && !Number.isFinite(value) ? "null" : JSON.stringify(value)}`;
}

/**
 * Writes `{<level>,<time>,<bindings><fields>,"msg":<msg>}` where `fields` is a run of
 * `,"key":value` pairs (see jsonField) and may hold pre-serialized JSON. False when the logger's
 * options make pino's format impossible to reproduce, or `level` is not enabled: nothing was written.
 */
export function writeRawLine(logger: Logger, level: Level, fields: string, msg: string): boolean {
  if (!logger.isLevelEnabled(level)) return false;
  let format = formats.get(logger);
  if (format === undefined) {
    format = lineFormat(logger) ?? null;
    formats.set(logger, format);
  }
  const prefix = format?.prefix[String(logger.levels.values[level])];
  if (!format || prefix === undefined) return false;
  const chindings = internals(logger)[S.chindingsSym];
  format.stream.write(`${prefix}${format.time()}${typeof chindings === "string" ? chindings : ""}${fields},${JSON.stringify(format.messageKey)}:${JSON.stringify(msg)}${format.end}`);
  return true;
}

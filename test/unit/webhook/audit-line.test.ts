// Audit lines are written straight to the logger's destination with pre-serialized fields; they
// must be byte for byte what pino itself writes for the same fields, and loggers whose format
// only pino can produce must be left to pino.
import assert from "node:assert/strict";
import { pino } from "pino";
import type { Logger, LoggerOptions } from "pino";
import { jsonField, writeRawLine } from "../../../webhook/server/audit-line.ts";

function logger(options: LoggerOptions = {}): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ timestamp: () => ',"time":1', ...options }, { write: (line: string) => void lines.push(line) }), lines };
}

const FIELDS = { uid: 'u-1 "quoted" \\ ü ✓', namespace: "ci", dryRun: false, httpStatus: 200, durationMs: 1.25, name: undefined, detail: "line\nbreak\ttab" };
const PATCH = [{ op: "add", path: "/spec/x", value: [{ name: "A", value: "b" }] }];

function rawFields(): string {
  let text = "";
  for (const [key, value] of Object.entries(FIELDS)) text += jsonField(key, value);
  return `${text},"patch":${JSON.stringify(PATCH)}`;
}

describe("webhook audit line writer", () => {
  for (const [what, options, child] of [
    ["default options", {}, undefined],
    ["base bindings", { base: { component: "webhook" } }, undefined],
    ["a child logger", { base: { component: "webhook" } }, { module: "x" }],
    ["a custom level formatter and message key", { formatters: { level: (label: string) => ({ severity: label }) }, messageKey: "message" }, undefined],
  ] as const) {
    it(`writes what pino writes, with ${what}`, () => {
      const ours = logger(options as LoggerOptions);
      const theirs = logger(options as LoggerOptions);
      const [a, b] = child ? [ours.logger.child(child), theirs.logger.child(child)] : [ours.logger, theirs.logger];
      assert.ok(writeRawLine(a, "info", rawFields(), "admission review"));
      b.info({ ...FIELDS, patch: PATCH }, "admission review");
      assert.equal(ours.lines.length, 1);
      assert.equal(ours.lines[0], theirs.lines[0]);
    });
  }

  it("writes nothing below the logger's level", () => {
    const { logger: l, lines } = logger({ level: "warn" });
    assert.equal(writeRawLine(l, "info", rawFields(), "admission review"), false);
    assert.deepEqual(lines, []);
  });

  for (const [what, options] of [
    ["a mixin", { mixin: () => ({ extra: 1 }) }],
    ["a log formatter", { formatters: { log: (o: Record<string, unknown>) => o } }],
    ["redaction paths", { redact: ["uid"] }],
    ["a nested key", { nestedKey: "payload" }],
    ["a stream hook", { hooks: { streamWrite: (s: string) => s } }],
  ] as const) {
    it(`declines a logger with ${what}, so pino writes the line`, () => {
      const { logger: l, lines } = logger(options as LoggerOptions);
      assert.equal(writeRawLine(l, "info", rawFields(), "admission review"), false);
      assert.deepEqual(lines, []);
    });
  }

  it("writes non-finite numbers as null, as pino does", () => {
    assert.equal(jsonField("n", Number.NaN), ',"n":null');
    assert.equal(jsonField("u", undefined), "");
  });
});

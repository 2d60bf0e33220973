// A pino logger at its most verbose level that keeps every line in memory, so that a test can
// read what the webhook and the dispatcher logged (for example, to check no secret is in it).
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "pino";

export class LogCapture {
  readonly #lines: string[] = [];
  readonly logger: Logger;

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString("utf8").split("\n")) if (line !== "") this.#lines.push(line);
        done();
      },
    });
    this.logger = pino({ level: "trace" }, sink);
  }

  /** Every line logged so far (JSON, one per entry). */
  lines(): readonly string[] {
    return this.#lines;
  }
}

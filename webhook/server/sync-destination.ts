// The webhook's log destination: each line is written to the file descriptor before write()
// returns, as pino.destination({ sync: true }) does, for a third of its cost. That one (sonic-boom)
// measures the line's UTF-8 length, writes the string, then converts it to a Buffer again to see
// what is left, on every line: ~3 us of the ~18 us an audit line with a patch costs.
import { writeSync } from "node:fs";

/** How long to wait before retrying a write that the descriptor refused for now (EAGAIN). */
const BUSY_RETRY_MS = 10;

/** fs.writeSync's (fd, buffer, offset, length) form: bytes written. */
export type WriteBytes = (fd: number, buffer: Buffer, offset: number, length: number) => number;

export interface SyncDestination {
  write(line: string): void;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes every line whole: a short write goes on from where it stopped, and a descriptor that
 * would block (a non-blocking pipe that is full) is waited for, as the log reader drains it.
 * Other write errors are thrown to the caller.
 */
export function syncDestination(fd: number, write: WriteBytes = writeSync, sleep: (ms: number) => void = sleepSync): SyncDestination {
  return {
    write(line: string): void {
      const bytes = Buffer.from(line, "utf8");
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += write(fd, bytes, offset, bytes.length - offset);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== "EAGAIN" && code !== "EBUSY") throw err;
          sleep(BUSY_RETRY_MS);
        }
      }
    },
  };
}

// The webhook's log destination writes each line whole before returning.
import { expect } from "chai";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syncDestination } from "../../../webhook/server/sync-destination.ts";
import type { WriteBytes } from "../../../webhook/server/sync-destination.ts";

function recording(step: (call: number, length: number) => number | NodeJS.ErrnoException): { write: WriteBytes; written: Buffer[] } {
  const written: Buffer[] = [];
  let call = 0;
  const write: WriteBytes = (_fd, buffer, offset, length) => {
    const result = step(call++, length);
    if (typeof result !== "number") throw result;
    written.push(Buffer.from(buffer.subarray(offset, offset + result)));
    return result;
  };
  return { write, written };
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

describe("sync log destination", () => {
  it("writes lines to the file, in order, before returning", () => {
    const dir = mkdtempSync(join(tmpdir(), "agentify-sync-destination-"));
    try {
      const fd = openSync(join(dir, "log"), "w");
      const destination = syncDestination(fd);
      destination.write('{"msg":"ü ✓"}\n');
      destination.write('{"msg":"second"}\n');
      closeSync(fd);
      expect(readFileSync(join(dir, "log"), "utf8")).to.equal('{"msg":"ü ✓"}\n{"msg":"second"}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("goes on after a short write, from the byte where it stopped", () => {
    const { write, written } = recording((call, length) => (call === 0 ? 5 : length));
    syncDestination(3, write, () => {}).write("ü-and-the-rest\n");
    expect(Buffer.concat(written).toString("utf8")).to.equal("ü-and-the-rest\n");
    expect(written.map((b) => b.length)).to.deep.equal([5, Buffer.byteLength("ü-and-the-rest\n") - 5]);
  });

  it("waits and retries while the descriptor would block", () => {
    const sleeps: number[] = [];
    const { write, written } = recording((call, length) => (call < 2 ? errno("EAGAIN") : length));
    syncDestination(3, write, (ms) => void sleeps.push(ms)).write("line\n");
    expect(Buffer.concat(written).toString("utf8")).to.equal("line\n");
    expect(sleeps).to.have.length(2);
  });

  it("throws any other write error", () => {
    const { write } = recording(() => errno("EPIPE"));
    expect(() => syncDestination(3, write, () => {}).write("line\n")).to.throw("EPIPE");
  });
});

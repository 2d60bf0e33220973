// Returns start-up's garbage to the system (`agentify webhook` and `agentify dispatcher`). Loading
// and compiling the modules (and writing the compile cache) grows V8's young generation to its
// maximum and leaves it committed: ~10 MB of a webhook's ~90 MB idle RSS is heap that nothing uses
// once it serves. V8 gives such pages back only in a memory-reducing full collection, which a
// process that idles right after start-up never runs on its own. Each such collection costs tens
// of milliseconds of one core; a process runs one or two, once started.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type GcFunction = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

let gcFunction: GcFunction | undefined;

/** V8's `gc` extension: global when Node runs with --expose-gc, else from a context made while the flag is on. */
function gc(): GcFunction {
  const exposed = (globalThis as { gc?: GcFunction }).gc;
  if (exposed !== undefined) return exposed;
  if (gcFunction === undefined) {
    setFlagsFromString("--expose-gc");
    try {
      gcFunction = runInNewContext("gc") as GcFunction;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  }
  return gcFunction;
}

/** A full, memory-reducing collection now (V8's "last resort" flavour: it also shrinks the young generation). */
export function releaseStartupMemory(): void {
  gc()({ type: "major", execution: "sync", flavor: "last-resort" });
}

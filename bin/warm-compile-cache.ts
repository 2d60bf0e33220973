#!/usr/bin/env node
// Run once at image build time with NODE_COMPILE_CACHE set (see the Dockerfile): loads every
// module `agentify webhook` and `agentify dispatcher` load, so that the cache holds their
// type-stripped sources and V8 code. A process started from a warm cache neither loads the
// TypeScript stripper (~18 MB of RSS) nor compiles: the webhook answers ~4x sooner.
// `node bin/agentify.ts --help` warms the entry point and the subcommands' registration modules.
import { flushCompileCache, getCompileCacheDir } from "node:module";

if (getCompileCacheDir() === undefined) {
  console.error("warm-compile-cache: NODE_COMPILE_CACHE is not set; nothing to warm");
  process.exit(1);
}
await Promise.all([
  import("../webhook/server/command.ts"),
  import("../webhook/server/server.ts"),
  import("../dispatcher/command.ts"),
  import("../dispatcher/settings/resolve.ts"),
  import("../dispatcher/logger.ts"),
  import("../dispatcher/start.ts"),
]);
flushCompileCache();
console.log(`compile cache warmed in ${getCompileCacheDir()}`);

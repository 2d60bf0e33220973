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
  // --leader-elect, as the manifests and the chart run it.
  import("../dispatcher/leader/ha.ts"),
]);
// The cache holds the code of functions that have run: run the admission path once.
const { agentify, defaultConfig, patchFor, redactPatch } = await import("../webhook/core/index.ts");
const sample = {
  apiVersion: "batch/v1", kind: "Job",
  metadata: { name: "buildkite-0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b", labels: { "buildkite.com/job-uuid": "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b" } },
  spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "alpine", command: ["true"] }] } } },
};
const config = defaultConfig();
const agentified = agentify(sample, config);
redactPatch(patchFor(sample, agentified), agentified, config);
flushCompileCache();
console.log(`compile cache warmed in ${getCompileCacheDir()}`);

// Mocha root-hook plugin: stops the process-wide cluster (sharedCluster) after all suites.
// Load it with `--require test/cluster/mocha-hooks.ts` (or `require:` in .mocharc). Without it the
// cluster is still killed on process exit; this just makes the stop graceful and visible in timing.
import { stopSharedCluster } from "./harness.ts";

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await stopSharedCluster();
  },
};

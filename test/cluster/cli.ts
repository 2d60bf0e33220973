// Command line for the test control plane (run with Node 24, which strips the types):
//   node test/cluster/cli.ts build   build (or find cached) binaries; prints the bin dir
//   node test/cluster/cli.ts up      start a cluster that outlives this command; state in .cluster/
//   node test/cluster/cli.ts down    stop it
//   node test/cluster/cli.ts status  print the state if it is running
// The state dir is <repo>/.cluster unless AGENTIFY_CLUSTER_DIR is set.
// After `up`: export KUBECONFIG=.cluster/admin.kubeconfig, or AGENTIFY_CLUSTER_STATE=.cluster/state.json
// to let sharedCluster() in the mocha suites reuse it instead of starting their own.
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { attachCluster, buildBinaries, readState, startCluster, stopClusterFromState } from "./harness.ts";

const REPO = resolve(import.meta.dirname, "..", "..");
const DIR = process.env["AGENTIFY_CLUSTER_DIR"] ?? join(REPO, ".cluster"); // override: e.g. a second cluster
const STATE = join(DIR, "state.json");

function running(): boolean {
  try {
    attachCluster(STATE);
    return true;
  } catch {
    return false;
  }
}

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case "build":
      console.log(await buildBinaries());
      return 0;
    case "up": {
      if (running()) {
        console.error(`cluster already running (${STATE})`);
      } else {
        // Leftovers of a cluster that died: stop what may remain, then start clean.
        if (existsSync(DIR)) await stopClusterFromState(STATE);
        rmSync(DIR, { recursive: true, force: true });
        const c = await startCluster({ dir: DIR, persist: true });
        console.error(`cluster up in ${c.startupMs} ms at ${c.server} (logs: ${join(DIR, "logs")})`);
      }
      const s = readState(STATE);
      console.log(`export KUBECONFIG=${s?.kubeconfigPath ?? ""}`);
      // kubectl's discovery cache stays with the cluster instead of in ~/.kube.
      console.log(`export KUBECACHEDIR=${join(DIR, "kube-cache")}`);
      console.log(`export AGENTIFY_CLUSTER_STATE=${STATE}`);
      console.log(`export PATH=${s?.binDir ?? ""}:$PATH`);
      if (s?.node) {
        console.error(`node ${s.node.name} Ready at ${s.node.hostIp}; images: ${Object.values(s.node.images).map((i) => i.name).join(", ")}`);
        console.error("after the exports above: kubectl get pods -A; kubectl logs -n <ns> <pod>; kubectl exec -it -n <ns> <pod> -- sh");
      }
      return 0;
    }
    case "down":
      if (!(await stopClusterFromState(STATE))) console.error("no cluster state; nothing to stop");
      rmSync(DIR, { recursive: true, force: true });
      return 0;
    case "status":
      if (!running()) {
        console.error("not running");
        return 1;
      }
      console.log(JSON.stringify(readState(STATE), null, 2));
      return 0;
    default:
      console.error("usage: node test/cluster/cli.ts build|up|down|status");
      return 2;
  }
}

process.exitCode = await main(process.argv[2]);

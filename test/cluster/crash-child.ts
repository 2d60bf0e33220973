// A test process that starts a cluster with a node, runs a pod, prints the cluster state as one JSON
// line and then waits to be killed: node-teardown.test.ts SIGKILLs it to prove the reaper.
import { KubeApi } from "../e2e/support/api.ts";
import { startCluster } from "./harness.ts";
import { readState } from "./files.ts";
import { runPod, waitForPod } from "./node/pods.ts";

const c = await startCluster();
if (!c.node) throw new Error("no node");
const api = new KubeApi(c);
await c.kubectl(["create", "namespace", "crash"], { check: true });
await runPod(api, "crash", "sleeper", { image: c.node.images.busybox.name, command: ["sleep", "600"] });
await waitForPod(api, "crash", "sleeper", ["Running"]);
process.stdout.write(JSON.stringify(readState(c.dir)) + "\n");
setInterval(() => {}, 60_000);

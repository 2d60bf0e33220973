// Nothing of a node outlives its run: after stop(), and after the owning process was SIGKILLed and
// a later start reaped it, no process, cgroup, bridge, mount or directory is left, and the host's
// sysctls that the kubelet would rewrite still hold the host's values.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startCluster } from "./harness.ts";
import { reapStale } from "./cleanup.ts";
import { isAlive } from "./proc.ts";
import { KUBELET_SYSCTLS } from "./node/config.ts";
import { nodeLeftovers } from "./node/teardown.ts";
import { runPod, waitForPod } from "./node/pods.ts";
import { KubeApi } from "../e2e/support/api.ts";
import type { ClusterState } from "./types.ts";

function sysctls(): Record<string, string> {
  return Object.fromEntries(Object.keys(KUBELET_SYSCTLS).map((k) => [k, readFileSync(`/proc/sys/${k}`, "utf8").trim()]));
}

function leftovers(state: ClusterState): string[] {
  if (!state.node) throw new Error("no node in state");
  const procs = state.processes.filter((p) => isAlive(p.pid)).map((p) => `${p.name} (pid ${String(p.pid)}) alive`);
  return [...procs, ...nodeLeftovers({ cgroup: state.node.cgroup, bridge: state.node.bridge, dir: state.dir })];
}

describe("test node clean-up", function () {
  this.timeout(180_000);
  const before = sysctls();

  it("stop() leaves nothing behind, with a pod still running, and the host's sysctls unchanged", async function () {
    const c = await startCluster();
    const api = new KubeApi(c);
    try {
      expect(sysctls(), "sysctls while the kubelet runs").to.deep.equal(before);
      await c.kubectl(["create", "namespace", "teardown"], { check: true });
      await runPod(api, "teardown", "sleeper", { image: c.node?.images.busybox.name ?? "", command: ["sleep", "600"] });
      await waitForPod(api, "teardown", "sleeper", ["Running"]);
    } finally {
      api.close();
    }
    const state: ClusterState = JSON.parse(readFileSync(join(c.dir, "state.json"), "utf8")) as ClusterState;
    expect(leftovers(state), "before stop").to.not.be.empty;
    await c.stop();
    expect(leftovers(state)).to.deep.equal([]);
    expect(sysctls()).to.deep.equal(before);
  });

  it("a run killed with SIGKILL is reaped by the next start: processes, cgroups, bridge, dir", async function () {
    const child = spawn(process.execPath, [join(import.meta.dirname, "crash-child.ts")], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
      });
      child.on("exit", (code) => reject(new Error(`crash-child exited early (${String(code)})`)));
    });
    const state = JSON.parse(line) as ClusterState;
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(leftovers(state), "what the dead run left").to.not.be.empty;
    reapStale();
    expect(leftovers(state)).to.deep.equal([]);
    expect(sysctls()).to.deep.equal(before);
  });
});

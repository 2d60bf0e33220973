// Starting the scheduler and the node, once the control plane is ready: called by startCluster.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { issueCert, type CertAndKey } from "../pki.ts";
import { kubeconfigYaml } from "../files.ts";
import { freePorts, httpGet, type Tls } from "../net.ts";
import type { Proc } from "../proc.ts";
import type { ClusterState, NodeState } from "../types.ts";
import { createHostParts, importImages, prepareNode } from "./node.ts";
import type { NodeImages } from "./images.ts";
import type { NodeParts } from "./teardown.ts";

export interface NodeStartContext {
  state: ClusterState;
  ca: CertAndKey;
  tls: Tls;
  k8sBin: string;
  nodeBin: string;
  images: NodeImages;
  deadline: number;
  /** Starts a process in the cluster's set (killed with it) and records it in the state. */
  start(name: string, bin: string, args: string[]): Proc;
  /** Saves the state file. */
  save(): void;
  /** Called once host-side parts exist, so every exit path removes them. */
  track(parts: NodeParts): void;
  /** Polls until check is true; throws with the process's log tail if anything died. */
  waitFor(proc: Proc, what: string, check: () => Promise<boolean>): Promise<void>;
  /** The first dead process's description, if any. */
  deadProcess(): string | undefined;
}

export async function startSchedulerAndNode(c: NodeStartContext): Promise<NodeState> {
  const dir = c.state.dir;
  const sched = issueCert(c.ca, { commonName: "system:kube-scheduler", usage: "client" });
  const schedKubeconfig = join(dir, "scheduler.kubeconfig");
  writeFileSync(schedKubeconfig, kubeconfigYaml(c.state.server, c.ca.certPem, sched.certPem, sched.keyPem), { mode: 0o600 });
  const [schedPort] = await freePorts(1);
  c.start("kube-scheduler", join(c.k8sBin, "kube-scheduler"), [
    `--kubeconfig=${schedKubeconfig}`, "--leader-elect=false",
    "--bind-address=127.0.0.1", `--secure-port=${String(schedPort)}`,
  ]);

  const runId = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  const { state, command } = await prepareNode({
    clusterDir: dir, server: c.state.server, ca: c.ca, k8sBin: c.k8sBin, nodeBin: c.nodeBin, images: c.images, runId,
  });
  // Record first, create second: a crash in between leaves a state that the reaper understands.
  c.state.node = state;
  c.save();
  c.track({ cgroup: state.cgroup, bridge: state.bridge });
  createHostParts(state);
  const [script, ...args] = command;
  const node = c.start("node", "/bin/bash", [script ?? "", ...args]);
  await importImages(state, c.nodeBin, () => c.deadProcess(), c.deadline);
  await c.waitFor(node, `node ${state.name} Ready`, async () => nodeReady(await httpGet(`${c.state.server}/api/v1/nodes/${state.name}`, c.tls)));
  return state;
}

function nodeReady(res: { status: number; body: string }): boolean {
  if (res.status !== 200) return false;
  const node = JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ?? false;
}

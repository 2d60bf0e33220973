// The test cluster's real node: kubelet + containerd + runc + CNI. Pods really run: logs, exec, the
// pod network (only the bridge's host address is reachable, DNS fails fast), images imported under
// local names with the digests the image build reported, and a missing image failing at once.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sharedCluster, type Cluster, type NodeState } from "./harness.ts";
import { KubeApi } from "../e2e/support/api.ts";
import { podPhase, runPod, waitForPod } from "./node/pods.ts";
import { listImages } from "./node/node.ts";
import { eventually } from "../e2e/support/wait.ts";

describe("test node (real kubelet, containerd, runc, CNI)", function () {
  let c: Cluster;
  let node: NodeState;
  let api: KubeApi;
  const ns = `node-test-${Date.now().toString(36)}`;

  before(async function () {
    this.timeout(45 * 60_000);
    c = await sharedCluster();
    if (!c.node) throw new Error("the shared test cluster has no node");
    node = c.node;
    api = new KubeApi(c);
    await c.kubectl(["create", "namespace", ns], { check: true });
  });
  after(() => api.close());

  it("registers one Ready node whose kubelet reports the pinned version and containerd", async function () {
    const res = await api.request("GET", `/api/v1/nodes/${node.name}`);
    expect(res.status).to.equal(200);
    const info = (res.body["status"] as { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } }).nodeInfo;
    expect(info.kubeletVersion).to.equal("v1.36.3");
    expect(info.containerRuntimeVersion).to.match(/^containerd:\/\/2\./);
  });

  it("imports the images under local names with the digests the build reported", async function () {
    const listed = await listImages(node);
    for (const img of Object.values(node.images)) {
      expect(img.name).to.match(/^localhost\/agentify\//);
      expect(listed.get(img.name), img.name).to.equal(img.digest);
    }
  });

  it("runs a pod to Succeeded and serves its log through the apiserver (kubectl logs)", async function () {
    this.timeout(60_000);
    await runPod(api, ns, "hello", { image: node.images.busybox.name, command: ["sh", "-c", "echo hello from the node; id -u"] });
    expect(await waitForPod(api, ns, "hello", ["Succeeded", "Failed"])).to.equal("Succeeded");
    const logs = await c.kubectl(["logs", "-n", ns, "hello"], { check: true });
    expect(logs.stdout).to.equal("hello from the node\n0\n");
  });

  it("execs into a running container (kubectl exec)", async function () {
    this.timeout(60_000);
    await runPod(api, ns, "sleeper", { image: node.images.busybox.name, command: ["sleep", "300"] });
    expect(await waitForPod(api, ns, "sleeper", ["Running"])).to.equal("Running");
    const out = await c.kubectl(["exec", "-n", ns, "sleeper", "--", "cat", "/proc/1/cmdline"], { check: true });
    expect(out.stdout.split("\0")[0]).to.equal("sleep");
    await api.request("DELETE", `/api/v1/namespaces/${ns}/pods/sleeper?gracePeriodSeconds=0`);
  });

  describe("pod network", function () {
    let server: Server;
    let port: number;
    before(async function () {
      server = createServer((_req, res) => res.end("host reached\n"));
      await new Promise<void>((resolve) => server.listen(0, node.hostIp, resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("reaches a server on the bridge's host address, and nothing outside the subnet", async function () {
      this.timeout(60_000);
      const script = [
        `wget -q -O - http://${node.hostIp}:${String(port)}/`,
        // No default route: an address outside the pod subnet fails at once ("Network unreachable").
        "if wget -q -O - http://192.0.2.1/ 2>/dev/null; then echo escaped; else echo unreachable; fi",
      ].join("\n");
      await runPod(api, ns, "net", { image: node.images.busybox.name, command: ["sh", "-c", script] });
      expect(await waitForPod(api, ns, "net", ["Succeeded", "Failed"])).to.equal("Succeeded");
      expect((await c.kubectl(["logs", "-n", ns, "net"], { check: true })).stdout).to.equal("host reached\nunreachable\n");
    });

    // A bridge left to the kernel takes its lowest port's MAC and changes it when that pod goes;
    // pods whose ARP entry names the old MAC then lose the host (webhook calls time out).
    it("keeps the bridge's MAC fixed while pods' veths join and leave it", async function () {
      this.timeout(90_000);
      const mac = (): string => readFileSync(`/sys/class/net/${node.bridge}/address`, "utf8").trim();
      const seen = [mac()];
      for (const name of ["mac-a", "mac-b"]) {
        await runPod(api, ns, name, { image: node.images.busybox.name, command: ["sleep", "300"] });
        await waitForPod(api, ns, name, ["Running"]);
        seen.push(mac());
      }
      for (const name of ["mac-a", "mac-b"]) {
        await api.request("DELETE", `/api/v1/namespaces/${ns}/pods/${name}?gracePeriodSeconds=0`);
        await eventually(`pod ${name} gone`, async () => (await podPhase(api, ns, name)) === undefined ? true : undefined, 60_000, 200);
        seen.push(mac());
      }
      expect(seen).to.deep.equal(seen.map(() => node.bridgeMac));
    });

    it("fails DNS lookups fast instead of hanging", async function () {
      this.timeout(60_000);
      const script = "s=$(date +%s); nslookup example.com >/dev/null 2>&1 && echo resolved || echo failed; echo $(( $(date +%s) - s ))";
      await runPod(api, ns, "dns", { image: node.images.busybox.name, command: ["sh", "-c", script] });
      expect(await waitForPod(api, ns, "dns", ["Succeeded", "Failed"])).to.equal("Succeeded");
      const [result, seconds] = (await c.kubectl(["logs", "-n", ns, "dns"], { check: true })).stdout.trim().split("\n");
      expect(result).to.equal("failed");
      expect(Number(seconds)).to.be.lessThan(5);
    });
  });

  it("fails a missing image fast: ErrImageNeverPull with Never, a pull error with IfNotPresent", async function () {
    this.timeout(60_000);
    await runPod(api, ns, "never", { image: "localhost/agentify/missing:1", command: ["true"], imagePullPolicy: "Never" });
    await runPod(api, ns, "ifnp", { image: "localhost/agentify/missing:1", command: ["true"], imagePullPolicy: "IfNotPresent" });
    const waiting = async (pod: string): Promise<{ reason?: string; message?: string } | undefined> => {
      const res = await api.request("GET", `/api/v1/namespaces/${ns}/pods/${pod}`);
      const st = (res.body["status"] as { containerStatuses?: { state: { waiting?: { reason: string; message?: string } } }[] } | undefined)?.containerStatuses;
      return st?.[0]?.state.waiting;
    };
    const reason = async (pod: string): Promise<string | undefined> => (await waiting(pod))?.reason;
    const deadline = Date.now() + 30_000;
    let never: string | undefined;
    let ifnp: string | undefined;
    while (Date.now() < deadline) {
      never = await reason("never");
      ifnp = await reason("ifnp");
      if (never === "ErrImageNeverPull" && (ifnp === "ErrImagePull" || ifnp === "ImagePullBackOff")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(never).to.equal("ErrImageNeverPull");
    expect(ifnp).to.be.oneOf(["ErrImagePull", "ImagePullBackOff"]);
    expect(await podPhase(api, ns, "never")).to.equal("Pending");
  });

  it("sends no pull to a public registry: every registry is a closed loopback port", async function () {
    this.timeout(60_000);
    await runPod(api, ns, "public", { image: "docker.io/library/alpine:3", command: ["true"] });
    const deadline = Date.now() + 30_000;
    let message = "";
    while (Date.now() < deadline && !message.includes("127.0.0.1:9")) {
      const res = await api.request("GET", `/api/v1/namespaces/${ns}/pods/public`);
      const st = (res.body["status"] as { containerStatuses?: { state: { waiting?: { message?: string } } }[] } | undefined)?.containerStatuses;
      message = st?.[0]?.state.waiting?.message ?? "";
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(message).to.include("127.0.0.1:9").and.include("connection refused");
  });
});

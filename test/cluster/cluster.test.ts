// Smoke test of the real cluster itself: version stamping, Job -> Pod via the controller manager,
// bound by the scheduler and run to completion by the node, a mutating webhook on https://127.0.0.1:<port>, namespace deletion.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { k8sVersion, NODE_TOLERATION, sharedCluster, type Cluster } from "./harness.ts";
import { issueCert } from "./pki.ts";

interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}
interface PodList {
  items: { metadata: ObjectMeta; spec: { nodeName?: string; serviceAccountName?: string }; status: { phase?: string } }[];
}
interface AdmissionReview {
  request: { uid: string; object: { metadata: ObjectMeta } };
}

/** Poll fn until it returns a value (not undefined), or fail after timeoutMs. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function job(ns: string, name: string, image: string): string {
  return JSON.stringify({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: "Never", tolerations: [NODE_TOLERATION], containers: [{ name: "main", image, imagePullPolicy: "IfNotPresent", command: ["true"] }] } },
    },
  });
}

describe("test cluster (real kube-apiserver + controller manager)", function () {
  let c: Cluster;
  const ns = `cluster-test-${Date.now().toString(36)}`;

  before(async function () {
    // The first run on a machine builds the binaries from Go modules (~20 min on 2 cores).
    this.timeout(45 * 60_000);
    c = await sharedCluster();
    await c.kubectl(["create", "namespace", ns], { check: true });
    await until("default ServiceAccount in the test namespace", async () =>
      (await c.kubectl(["get", "serviceaccount", "default", "-n", ns])).code === 0 ? true : undefined);
  });

  it(`reports the pinned version ${k8sVersion()} (server and kubectl)`, async function () {
    expect(k8sVersion()).to.match(/^v1\.36\./);
    const res = await c.get("/version");
    expect(res.status).to.equal(200);
    expect((JSON.parse(res.body) as { gitVersion: string }).gitVersion).to.equal(k8sVersion());
    const v = await c.kubectl(["version", "-o", "json"], { check: true });
    const parsed = JSON.parse(v.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(parsed.clientVersion.gitVersion).to.equal(k8sVersion());
    expect(parsed.serverVersion.gitVersion).to.equal(k8sVersion());
  });

  it("the Job controller creates a Pod that the scheduler binds to the node, which runs it", async function () {
    await c.kubectl(["apply", "-f", "-"], { input: job(ns, "smoke", c.node?.images.busybox.name ?? "missing"), check: true });
    const pods = await until("a Succeeded Pod for Job smoke", async () => {
      const r = await c.kubectl(["get", "pods", "-n", ns, "-l", "batch.kubernetes.io/job-name=smoke", "-o", "json"], { check: true });
      const list = JSON.parse(r.stdout) as PodList;
      return list.items.length > 0 && list.items[0]?.status.phase === "Succeeded" ? list.items : undefined;
    });
    expect(pods).to.have.length(1);
    const pod = pods[0]!;
    expect(pod.spec.nodeName).to.equal(c.node?.name);
    expect(pod.spec.serviceAccountName).to.equal("default"); // ServiceAccount admission ran
    expect(pod.metadata.ownerReferences?.[0]).to.include({ kind: "Job", name: "smoke" });
  });

  describe("a mutating webhook at https://127.0.0.1:<port>", function () {
    let server: Server;
    const hookName = `${ns}-mutator`;

    before(async function () {
      // Serving cert from the cluster CA; the same CA goes into caBundle.
      const caPem = readFileSync(c.caCertPath, "utf8");
      const tls = issueCert({ certPem: caPem, keyPem: readFileSync(c.caKeyPath, "utf8") }, { commonName: "webhook", usage: "server", hosts: ["127.0.0.1"] });
      server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
        let body = "";
        req.setEncoding("utf8").on("data", (d: string) => (body += d));
        req.on("end", () => {
          const review = JSON.parse(body) as AdmissionReview;
          const labels = { ...review.request.object.metadata.labels, "cluster-test/mutated": "true" };
          const patch = [{ op: "add", path: "/metadata/labels", value: labels }];
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: { uid: review.request.uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") },
          }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      await c.kubectl(["label", "namespace", ns, `cluster-test=${ns}`], { check: true });
      const config = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingWebhookConfiguration",
        metadata: { name: hookName },
        webhooks: [{
          name: "jobs.cluster-test.agentify.local",
          clientConfig: { url: `https://127.0.0.1:${String(port)}/mutate`, caBundle: Buffer.from(caPem).toString("base64") },
          rules: [{ apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["jobs"], scope: "Namespaced" }],
          namespaceSelector: { matchLabels: { "cluster-test": ns } },
          admissionReviewVersions: ["v1"],
          sideEffects: "None",
          failurePolicy: "Fail",
          timeoutSeconds: 10,
        }],
      };
      await c.kubectl(["apply", "-f", "-"], { input: JSON.stringify(config), check: true });
    });

    after(async function () {
      await c.kubectl(["delete", "mutatingwebhookconfiguration", hookName, "--ignore-not-found"]);
      await new Promise((resolve) => server.close(resolve));
    });

    it("mutates a Job on create", async function () {
      // The apiserver picks up new webhook configs through an informer: probe with server dry-run.
      await until("the webhook to take effect", async () => {
        const r = await c.kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], { input: job(ns, "probe", "busybox") });
        const labels = r.code === 0 ? (JSON.parse(r.stdout) as { metadata: ObjectMeta }).metadata.labels : undefined;
        return labels?.["cluster-test/mutated"] === "true" ? true : undefined;
      }, 30_000);
      const r = await c.kubectl(["create", "-o", "json", "-f", "-"], { input: job(ns, "hooked", "busybox"), check: true });
      expect((JSON.parse(r.stdout) as { metadata: ObjectMeta }).metadata.labels).to.include({ "cluster-test/mutated": "true" });
    });
  });

  // Last: mocha runs a suite's own tests before its child suites, so this is a child suite too.
  describe("cleanup", function () {
    it("deleting the namespace completes (namespace + garbage-collector controllers)", async function () {
      this.timeout(120_000);
      await c.kubectl(["delete", "namespace", ns, "--wait=true", "--timeout=100s"], { check: true, timeoutMs: 110_000 });
      const r = await c.kubectl(["get", "namespace", ns]);
      expect(r.code).to.not.equal(0);
    });
  });
});

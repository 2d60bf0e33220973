// The dispatcher's Kubernetes client against a real apiserver: the calls it makes, how their
// errors classify, and the informer's list + watch (resume, deletes, relist on 410 Gone). The
// apiserver runs with the watch cache off for Jobs and etcd compaction every second, so that an
// old resourceVersion really is gone.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Job } from "@kubernetes/client-node";
import { classifyCreateError } from "../../../dispatcher/job/create-errors.ts";
import { KubeClients, loadKubeConnection } from "../../../dispatcher/kube/clients.ts";
import type { ListPage } from "../../../dispatcher/kube/clients.ts";
import { ApiException } from "../../../dispatcher/kube/http.ts";
import { CompactInformer } from "../../../dispatcher/kube/informer.ts";
import { startCluster } from "../../cluster/harness.ts";
import type { Cluster } from "../../cluster/harness.ts";
import { eventually, silentLogger } from "./helpers.ts";

const LABEL = "buildkite.com/job-uuid";

function job(name: string): V1Job {
  return {
    apiVersion: "batch/v1", kind: "Job", metadata: { name, labels: { [LABEL]: name } },
    spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "registry.invalid/x:1" }] } } },
  };
}

describe("dispatcher Kubernetes client against the apiserver", function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let kube: KubeClients;
  let n = 0;

  before(async () => {
    cluster = await startCluster({ node: false, apiserverArgs: ["--watch-cache-sizes=jobs.batch#0", "--etcd-compaction-interval=1s"] });
  });
  after(async () => {
    kube?.close();
    await cluster?.stop();
  });
  beforeEach(async () => {
    const namespace = `kc-${++n}`;
    await cluster.kubectl(["create", "namespace", namespace], { check: true });
    kube = new KubeClients(loadKubeConnection(cluster.kubeconfigPath), { namespace, qps: 100, burst: 100 });
  });

  it("creates, reads, pages, patches and deletes Jobs; errors are ApiExceptions that classify as before", async () => {
    for (const name of ["a", "b", "c"]) await kube.createJob(job(name));
    const created = await kube.readJob("a");
    assert.equal(typeof created.metadata?.creationTimestamp, "string", "the apiserver's JSON as sent");
    const first = await kube.listJobs(LABEL, 2, undefined);
    assert.equal(first.items.length, 2);
    assert.ok(first.continueToken);
    const second = await kube.listJobs(LABEL, 2, first.continueToken);
    assert.deepEqual([...first.items, ...second.items].map((j) => j.metadata?.name), ["a", "b", "c"]);
    await kube.expireJob("b");
    assert.equal((await kube.readJob("b")).spec?.activeDeadlineSeconds, 1);
    await assert.rejects(kube.createJob(job("a")), (err: unknown) => err instanceof ApiException && classifyCreateError(err).kind === "exists");
    const invalid = await kube.createJob(job("Not_A_Name")).catch((err: unknown) => err);
    assert.deepEqual([(invalid as ApiException<string>).code, classifyCreateError(invalid).kind], [422, "rejected"]);
    await assert.rejects(kube.readJob("missing"), (err: unknown) => err instanceof ApiException && err.code === 404);
    await kube.deleteJob("c");
    await eventually(async () => (await kube.listJobs(LABEL, 10, undefined)).items.length === 2, 10_000, "the delete");
    const events = await kube.listEvents("Job", "a");
    assert.ok(events.every((e) => e.involvedObject?.kind === "Job" && e.involvedObject.name === "a"), "only a's events");
    assert.deepEqual(await kube.listEvents("Job", "never-existed"), []);
  });

  it("reads one Secret key and a PodTemplate's spec", async () => {
    await kube.request("POST", `/api/v1/namespaces/${kube.namespace}/secrets`, { body: { metadata: { name: "tok" }, data: { KEY: Buffer.from("s3cret").toString("base64") } } });
    await kube.request("POST", `/api/v1/namespaces/${kube.namespace}/podtemplates`, { body: { metadata: { name: "pt" }, template: { spec: { containers: [{ name: "x", image: "alpine" }] } } } });
    assert.equal(await kube.readSecretKey("tok", "KEY"), "s3cret");
    assert.equal(await kube.readSecretKey("tok", "OTHER"), undefined);
    assert.deepEqual(((await kube.readPodTemplateSpec("pt"))["containers"] as { name: string }[]).map((c) => c.name), ["x"]);
  });

  it("informer: lists, follows the watch, and sees every delete", async () => {
    await kube.createJob(job("a"));
    const seen: string[] = [];
    const informer = new CompactInformer({
      kind: "Job", path: `/apis/batch/v1/namespaces/${kube.namespace}/jobs`, labelSelector: LABEL, watch: kube.watch, logger: silentLogger(),
      list: (s, l, t) => kube.listJobs(s, l, t),
      toFacts: (o) => ({ name: String((o as V1Job).metadata?.name), resourceVersion: String((o as V1Job).metadata?.resourceVersion) }),
      handlers: { add: (i, initial) => seen.push(`add ${i.name}${initial ? " (initial)" : ""}`), delete: (i) => seen.push(`delete ${i.name}`) },
    });
    await informer.start();
    await kube.createJob(job("b"));
    await kube.deleteJob("a");
    await eventually(() => seen.includes("delete a"), 15_000, "the watch events");
    await informer.stop();
    assert.deepEqual(seen, ["add a (initial)", "add b", "delete a"]);
  });

  it("informer: a watch from a compacted resourceVersion gets 410 Gone; the relist reports what changed meanwhile, deletes included", async () => {
    await kube.createJob(job("a"));
    await kube.createJob(job("b"));
    let lists = 0;
    const list = async (s: string, l: number, t: string | undefined): Promise<ListPage<unknown>> => {
      const page = await kube.listJobs(s, l, t);
      if (++lists > 1) return page;
      // While this list's answer is "in flight": b goes, c comes, and etcd compacts past its resourceVersion.
      await kube.deleteJob("b");
      await kube.createJob(job("c"));
      await sleep(3000);
      return page;
    };
    const seen: string[] = [];
    const informer = new CompactInformer({
      kind: "Job", path: `/apis/batch/v1/namespaces/${kube.namespace}/jobs`, labelSelector: LABEL, watch: kube.watch, logger: silentLogger(), list,
      toFacts: (o) => ({ name: String((o as V1Job).metadata?.name), resourceVersion: String((o as V1Job).metadata?.resourceVersion) }),
      handlers: { add: (i, initial) => seen.push(`add ${i.name}${initial ? " (initial)" : ""}`), delete: (i) => seen.push(`delete ${i.name}`) },
    });
    await informer.start();
    await eventually(() => seen.includes("add c"), 20_000, "the relist after 410");
    await informer.stop();
    assert.equal(lists, 2, "relisted once");
    assert.deepEqual(seen, ["add a (initial)", "add b (initial)", "delete b", "add c"]);
    assert.deepEqual([...informer.values()].map((i) => i.name).sort(), ["a", "c"]);
  });

  it("a watch ends cleanly at timeoutSeconds, and abort() ends it with an AbortError", async () => {
    const { resourceVersion } = await kube.listJobs(LABEL, 1, undefined);
    const ended = await new Promise<Error | undefined>((resolve) => {
      kube.watch.watch(`/apis/batch/v1/namespaces/${kube.namespace}/jobs`, { resourceVersion, timeoutSeconds: 1 }, () => undefined, resolve);
    });
    assert.equal(ended, undefined);
    const aborted = await new Promise<Error | undefined>((resolve) => {
      const controller = kube.watch.watch(`/apis/batch/v1/namespaces/${kube.namespace}/jobs`, { resourceVersion }, () => undefined, resolve);
      setTimeout(() => controller.abort(), 200);
    });
    assert.equal(aborted?.name, "AbortError");
  });
});

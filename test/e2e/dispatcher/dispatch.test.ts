// 200 scheduled jobs with mixed plugins and priorities → exactly 200 agentified Jobs, each with
// the right containers and annotations, never more than max-in-flight at once; cancelled jobs
// cleaned up; jobs that cannot run finished with the reason.
import { expect } from "chai";
import type { V1Container, V1Job } from "@kubernetes/client-node";
import type { DispatcherHandle } from "../../../dispatcher/start.ts";
import type { JsonValue, StepSpec } from "../../standin/types.ts";
import { DispatcherEnv, QUEUE, waitFor } from "./env.ts";
import { JobRecorder } from "./job-recorder.ts";

const MAX_IN_FLIGHT = 40;
const K8S = "kubernetes";

interface Expected {
  step: StepSpec;
  containers: string[];
  pluginConfig?: unknown;
  /** Container whose BUILDKITE_COMMAND must be the step command. */
  stepCommandIn: string;
  image?: string;
  podTemplate?: string;
}

function mixedStep(i: number): Expected {
  const priority = (i * 7) % 10;
  const command = `echo job-${i}`;
  const agents = { queue: QUEUE };
  switch (i % 5) {
    case 0:
      return { step: { command, agents, priority, key: `plain-${i}` }, containers: ["container-0", "agent", "checkout"], stepCommandIn: "container-0", image: "ghcr.io/buildkite/agent:3.136.2" };
    case 1: {
      const config: JsonValue = { podSpec: { containers: [{ name: "app", image: "node:22" }, { name: "lint", image: "golang:1.23", command: ["make", "lint"] }] } };
      return { step: { command, agents, priority, plugins: [{ [K8S]: config }] }, containers: ["app", "lint", "agent", "checkout"], pluginConfig: config, stepCommandIn: "app", image: "node:22" };
    }
    case 2: {
      const config: JsonValue = { podSpec: {}, checkout: { skip: true } };
      return { step: { command, agents, priority, plugins: [{ [K8S]: config }] }, containers: ["container-0", "agent"], pluginConfig: config, stepCommandIn: "container-0" };
    }
    case 3: {
      const config: JsonValue = { podTemplate: "e2e-template" };
      return { step: { command, agents, priority, plugins: [{ [K8S]: config }] }, containers: ["tmpl", "agent", "checkout"], pluginConfig: config, stepCommandIn: "tmpl", image: "ruby:3.3", podTemplate: "e2e-template" };
    }
    default:
      return { step: { command, agents, priority, image: "python:3.12", plugins: [{ "docker#v5.12.0": { image: "x" } }] }, containers: ["container-0", "agent", "checkout"], stepCommandIn: "container-0", image: "python:3.12" };
  }
}

function env(container: V1Container | undefined, name: string): string | undefined {
  return container?.env?.find((e) => e.name === name)?.value;
}

function checkJob(job: V1Job, uuid: string, expected: Expected): void {
  const annotations = job.metadata?.annotations ?? {};
  expect(job.metadata?.labels?.["buildkite.com/job-uuid"]).to.equal(uuid);
  expect(annotations["buildkite.com/agentified"], "agentified").to.be.a("string");
  expect(job.spec?.suspend).to.equal(false);
  expect(annotations["buildkite.com/agent-query-rules"]).to.equal(JSON.stringify([`queue=${QUEUE}`]));
  expect(annotations["buildkite.com/job-priority"]).to.equal(String(expected.step.priority));
  expect(annotations["buildkite.com/job-url"]).to.match(new RegExp(`/builds/\\d+#${uuid}$`));
  expect(annotations["buildkite.com/pipeline-slug"]).to.equal("standin-pipeline");
  if (expected.pluginConfig) expect(JSON.parse(annotations["buildkite.com/kubernetes-plugin"] ?? "null")).to.deep.equal(expected.pluginConfig);
  else expect(annotations["buildkite.com/kubernetes-plugin"]).to.equal(undefined);
  expect(annotations["buildkite.com/pod-template-name"]).to.equal(expected.podTemplate);
  expect(annotations["buildkite.com/step-image"]).to.equal(expected.step.image);
  const containers = job.spec?.template.spec?.containers ?? [];
  expect(containers.map((c) => c.name)).to.deep.equal(expected.containers);
  const commandContainer = containers.find((c) => c.name === expected.stepCommandIn);
  expect(env(commandContainer, "BUILDKITE_COMMAND")).to.equal(expected.step.command);
  if (expected.image) expect(commandContainer?.image).to.equal(expected.image);
  expect(env(containers.find((c) => c.name === "agent"), "BUILDKITE_AGENT_ACQUIRE_JOB")).to.equal(uuid);
}

describe("dispatcher e2e: dispatching against a real control plane", function () {
  this.timeout(180_000);
  let e: DispatcherEnv;
  let dispatcher: DispatcherHandle;
  let recorder: JobRecorder;

  before(async () => {
    e = await DispatcherEnv.create({ config: { "max-in-flight": MAX_IN_FLIGHT } });
    await e.cluster.kubectl(["apply", "-n", e.namespace, "-f", "-"], {
      check: true,
      input: JSON.stringify({ apiVersion: "v1", kind: "PodTemplate", metadata: { name: "e2e-template" }, template: { spec: { containers: [{ name: "tmpl", image: "ruby:3.3" }] } } }),
    });
    recorder = await JobRecorder.start(e.kube);
  });
  after(async () => {
    recorder?.stop();
    await e?.cleanup({ wait: true });
  });

  it("turns 200 scheduled jobs into exactly 200 agentified Jobs, by priority, never more than max-in-flight at once, cleaning up cancelled ones", async () => {
    const expected = new Map<string, Expected>();
    const specs = Array.from({ length: 200 }, (_, i) => mixedStep(i));
    const ids = e.standin.enqueueBuild(specs.map((s) => s.step));
    ids.forEach((id, i) => expected.set(id, specs[i] as Expected));

    const started = Date.now();
    dispatcher = await e.startDispatcher();
    // The agent's part, simulated: each Job's job is run (or, for every 10th, cancelled by a user),
    // and the finished Job is deleted, which is what returns its slot.
    const handled = new Set<string>();
    const cancelled = new Set<string>();
    let order = 0;
    const agent = setInterval(() => {
      for (const name of recorder.live) {
        if (handled.has(name)) continue;
        handled.add(name);
        const uuid = name.slice("buildkite-".length);
        if (order++ % 10 === 9) {
          cancelled.add(name);
          e.standin.cancel(uuid);
        } else {
          e.standin.acquire(uuid);
          e.standin.start(uuid);
          e.standin.complete(uuid, 0);
          void e.kube.deleteJob(name);
        }
      }
    }, 100);
    try {
      await waitFor("all 200 Jobs created and gone", () => recorder.created.size === 200 && recorder.live.size === 0, 120_000);
    } finally {
      clearInterval(agent);
    }

    console.log(`      200 jobs dispatched and completed in ${Date.now() - started} ms (max ${recorder.maxLive} Jobs at once)`);
    expect(recorder.recreated).to.deep.equal([]);
    expect(recorder.maxLive).to.be.at.most(MAX_IN_FLIGHT);
    // Only as many jobs were reserved as there was room for: the first poll took exactly 40.
    const reservations = e.standin.calls("batchReserve").map((c) => (c.body as { job_uuids: string[] }).job_uuids.length);
    expect(reservations[0]).to.equal(MAX_IN_FLIGHT);
    expect(reservations.reduce((a, b) => a + b, 0)).to.be.at.least(200);
    for (const [name, job] of recorder.created) {
      const uuid = name.slice("buildkite-".length);
      const want = expected.get(uuid);
      expect(want, name).to.not.equal(undefined);
      checkJob(job, uuid, want as Expected);
    }
    // The first reservation took the most important jobs (priorities 9 and 8: 20 jobs each).
    const firstReserved = (e.standin.calls("batchReserve")[0]?.body as { job_uuids: string[] }).job_uuids;
    expect(firstReserved.map((id) => expected.get(id)?.step.priority).filter((p) => p !== undefined && p < 8)).to.deep.equal([]);
    // Cancelled jobs' Jobs were deleted by the dispatcher; nothing was finished by it.
    expect(cancelled.size).to.equal(20);
    for (const name of cancelled) expect(recorder.deleted.has(name), name).to.equal(true);
    for (const id of ids) {
      const job = e.standin.job(id);
      expect(job?.finish?.by ?? "agent", id).to.equal("agent");
      expect(["finished", "canceled"]).to.include(job?.state);
    }
    const notified = e.standin.jobs().filter((j) => j.notifications.some((n) => n.detail.startsWith("Kubernetes Job created")));
    expect(notified.length).to.equal(200);
  });

  it("finishes jobs that cannot run with the reason: invalid plugin, webhook denial, apiserver Invalid", async () => {
    const k8s = (config: unknown) => ({ command: "x", agents: { queue: QUEUE }, plugins: [{ [K8S]: config }] }) as StepSpec;
    const [badPlugin, denied, invalid] = e.standin.enqueueBuild([
      k8s({ podSpec: {}, checkout: { skip: "yes" } }),
      k8s({ podSpec: { containers: [{ name: "agent", image: "alpine" }] } }),
      k8s({ podSpec: { containers: [{ image: "alpine", volumeMounts: [{ name: "nope", mountPath: "/x" }] }] } }),
    ]) as [string, string, string];
    const detail = (id: string) => e.standin.job(id)?.finish?.detail ?? "";
    await waitFor("three finishes", () => [badPlugin, denied, invalid].every((id) => e.standin.job(id)?.finish?.by === "stack"), 30_000);
    expect(detail(badPlugin)).to.match(/^agentify failed to parse the job: failed parsing Kubernetes plugin: checkout\.skip: /);
    expect(detail(denied)).to.match(/^Kubernetes rejected the Job built for this step: admission webhook "jobs\.agentify\.buildkite\.com" denied the request: .*"agent" is reserved/);
    expect(detail(invalid)).to.match(/^Kubernetes rejected the Job built for this step: Job\.batch "buildkite-\S+" is invalid: .*volumeMounts\[0\]\.name: Not found: "nope"/);
    for (const id of [badPlugin, denied, invalid]) expect(e.standin.job(id)?.finish?.exitStatus).to.equal(-1);
    expect([...recorder.created.keys()].filter((n) => [badPlugin, denied, invalid].some((id) => n.endsWith(id)))).to.deep.equal([]);
    expect(dispatcher.ledger.inFlight()).to.equal(0);
  });
});

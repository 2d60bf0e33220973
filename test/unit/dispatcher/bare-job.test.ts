import { expect } from "chai";
import { buildBareJob, podTemplateToFetch } from "../../../dispatcher/job/bare-job.ts";
import type { BareJobInput, BareJobSettings } from "../../../dispatcher/job/bare-job.ts";
import { JobParseError, parseJobPlugins } from "../../../dispatcher/job/plugins.ts";
import { agentify, defaultConfig } from "../../../webhook/core/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";

const UUID = "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b";
const K8S = "github.com/buildkite-plugins/kubernetes-buildkite-plugin";
const settings: BareJobSettings = { namespace: "ci", jobPrefix: "buildkite-", controllerId: "", image: "ghcr.io/buildkite/agent:3" };
const env = {
  BUILDKITE_BUILD_URL: "https://buildkite.com/acme/app/builds/7",
  BUILDKITE_BRANCH: "main",
  BUILDKITE_REPO: "git@github.com:acme/app.git",
  BUILDKITE_PIPELINE_SLUG: "app",
  BUILDKITE_STEP_KEY: "test",
  BUILDKITE_AGENT_ACCESS_TOKEN: "secret-do-not-copy",
};

function input(over: Partial<BareJobInput> = {}): BareJobInput {
  return { uuid: UUID, command: "make test", env, priority: 3, agentQueryRules: ["queue=k8s"], plugin: undefined, pluginJson: undefined, ...over };
}

function withPlugin(config: unknown): Partial<BareJobInput> {
  const parsed = parseJobPlugins(JSON.stringify([{ [K8S]: config }]), { prohibitKubernetesPlugin: false });
  return { plugin: parsed.kubernetes, pluginJson: parsed.kubernetesJson };
}

describe("dispatcher bare Job", () => {
  it("runs the step command in container-0 with the configured image when there is no plugin", () => {
    const job = buildBareJob(input(), settings);
    expect(job.metadata.name).to.equal(`buildkite-${UUID}`);
    expect(job.metadata.namespace).to.equal("ci");
    expect(job.metadata.labels).to.deep.equal({ "buildkite.com/job-uuid": UUID });
    expect(job.spec.suspend).to.equal(true);
    expect(job.spec.template.spec.restartPolicy).to.equal("Never");
    expect(job.spec.template.spec.containers).to.deep.equal([
      { name: "container-0", image: "ghcr.io/buildkite/agent:3", env: [{ name: "BUILDKITE_COMMAND", value: "make test" }] },
    ]);
  });

  it("writes build facts, priority and query rules as annotations, and no job env", () => {
    const annotations = buildBareJob(input({ env: { ...env, BUILDKITE_IMAGE: "node:22" } }), settings).metadata.annotations ?? {};
    expect(annotations).to.deep.equal({
      "buildkite.com/agent-query-rules": '["queue=k8s"]',
      "buildkite.com/job-priority": "3",
      "buildkite.com/step-image": "node:22",
      "buildkite.com/build-url": env.BUILDKITE_BUILD_URL,
      "buildkite.com/build-branch": "main",
      "buildkite.com/build-repo": env.BUILDKITE_REPO,
      "buildkite.com/pipeline-slug": "app",
      "buildkite.com/step-key": "test",
      "buildkite.com/job-url": `${env.BUILDKITE_BUILD_URL}#${UUID}`,
      "buildkite.com/step-image-pull-policies": "{}",
    });
    expect(JSON.stringify(buildBareJob(input(), settings))).not.to.contain("secret-do-not-copy");
  });

  it("adds the controller-id label when config id is set", () => {
    expect(buildBareJob(input(), { ...settings, controllerId: "stack-a" }).metadata.labels).to.deep.equal({
      "buildkite.com/job-uuid": UUID,
      "buildkite.com/controller-id": "stack-a",
    });
  });

  it("uses the plugin podSpec: containers without a command get BUILDKITE_COMMAND, others keep theirs", () => {
    const config = {
      podSpec: {
        serviceAccountName: "builder",
        containers: [
          { name: "app", image: "node:22", env: [{ name: "BUILDKITE_COMMAND", value: "stale" }, { name: "A", value: "1" }] },
          { name: "lint", image: "golang:1.23", command: ["make", "lint"] },
        ],
      },
    };
    const job = buildBareJob(input(withPlugin(config)), settings);
    const spec = job.spec.template.spec;
    expect(spec["serviceAccountName"]).to.equal("builder");
    expect(spec.containers[0]?.env).to.deep.equal([{ name: "A", value: "1" }, { name: "BUILDKITE_COMMAND", value: "make test" }]);
    expect(spec.containers[1]).to.deep.equal({ name: "lint", image: "golang:1.23", command: ["make", "lint"] });
    expect(JSON.parse(job.metadata.annotations?.["buildkite.com/kubernetes-plugin"] ?? "")).to.deep.equal(config);
  });

  it("falls back to container-0 for `podSpec: {}`", () => {
    const job = buildBareJob(input(withPlugin({ podSpec: {}, checkout: { skip: true } })), settings);
    expect(job.spec.template.spec.containers.map((c) => c.name)).to.deep.equal(["container-0"]);
  });

  it("uses a PodTemplate's spec when the plugin names one, and says so", () => {
    const plugin = withPlugin({ podTemplate: "builders" });
    expect(podTemplateToFetch(plugin.plugin)).to.equal("builders");
    const job = buildBareJob(input({ ...plugin, podTemplate: { name: "builders", spec: { containers: [{ name: "b", image: "ruby" }] } } }), settings);
    expect(job.spec.template.spec.containers[0]?.name).to.equal("b");
    expect(job.metadata.annotations?.["buildkite.com/pod-template-name"]).to.equal("builders");
    expect(podTemplateToFetch(withPlugin({ podTemplate: "x", podSpec: {} }).plugin)).to.equal(undefined);
  });

  it("states the grace period the apiserver would otherwise default before the webhook", () => {
    const stating = { ...settings, terminationGracePeriodSeconds: 60 };
    expect(buildBareJob(input(), stating).spec.template.spec.terminationGracePeriodSeconds).to.equal(60);
    const own = buildBareJob(input(withPlugin({ podSpec: { terminationGracePeriodSeconds: 5, containers: [{ image: "x:1", command: ["a"] }] } })), stating);
    expect(own.spec.template.spec.terminationGracePeriodSeconds).to.equal(5);
  });

  it("leaves pull policies the step did not set unset, and lists the ones it set", () => {
    const job = buildBareJob(input(withPlugin({ podSpec: { containers: [
      { image: "alpine:3.20", command: ["a"] },
      { name: "pinned", image: "alpine@sha256:" + "0".repeat(64), command: ["b"] },
      { name: "local", image: "alpine:3.20", command: ["c"], imagePullPolicy: "Never" },
    ] } })), settings);
    expect(job.spec.template.spec.containers.map((c) => c.imagePullPolicy)).to.deep.equal([undefined, undefined, "Never"]);
    expect(job.metadata.annotations?.["buildkite.com/step-image-pull-policies"]).to.equal('{"local":"Never"}');
    const unnamed = buildBareJob(input(withPlugin({ podSpec: { containers: [{ image: "a:1", imagePullPolicy: "Always" }] } })), settings);
    expect(unnamed.metadata.annotations?.["buildkite.com/step-image-pull-policies"]).to.equal('{"container-0":"Always"}');
    expect(buildBareJob(input(), settings).metadata.annotations?.["buildkite.com/step-image-pull-policies"]).to.equal("{}");
  });

  it("gives a plugin-only step (no command) an empty BUILDKITE_COMMAND that the webhook core accepts", () => {
    const plugins = JSON.stringify([{ "github.com/buildkite-plugins/docker-compose-buildkite-plugin#v5.5.0": { run: "app" } }]);
    const job = buildBareJob(input({ command: "", env: { ...env, BUILDKITE_PLUGINS: plugins } }), settings);
    expect(job.spec.template.spec.containers[0]?.env).to.deep.equal([{ name: "BUILDKITE_COMMAND", value: "" }]);
    const agentified = agentify(job as unknown as JsonObject, defaultConfig()) as unknown as { spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } } };
    const command = agentified.spec.template.spec.containers[0]?.env?.filter((e) => e.name === "BUILDKITE_COMMAND");
    expect(command).to.deep.equal([{ name: "BUILDKITE_COMMAND", value: "" }]);
  });

  it("rejects a podSpec whose containers are not objects", () => {
    expect(() => buildBareJob(input({ plugin: { podSpec: { containers: "nope" } }, pluginJson: "{}" }), settings)).to.throw(JobParseError, /podSpec\.containers/);
  });

  it("is a Job the webhook core agentifies", () => {
    const bare = buildBareJob(input(withPlugin({ podSpec: { containers: [{ image: "node:22" }] }, checkout: { skip: true } })), settings);
    const agentified = agentify(bare as unknown as JsonObject, defaultConfig()) as unknown as { spec: { suspend: boolean; template: { spec: { containers: { name: string }[] } } } };
    expect(agentified.spec.suspend).to.equal(false);
    expect(agentified.spec.template.spec.containers.map((c) => c.name)).to.deep.equal(["container-0", "agent"]);
  });
});

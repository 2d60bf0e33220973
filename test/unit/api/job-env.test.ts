// What the stand-in puts in a job's env (plugin expansion, Buildkite variables),
// and the YAML steps file the CLI reads, including the shipped example.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { expandPluginSource, normalisePlugins } from "../../standin/plugins.ts";
import { loadStepsFile, parseSteps } from "../../standin/steps-file.ts";
import { QUEUE, STACK_KEY, startHarness } from "./helpers.ts";

const K8S_PLUGIN = "github.com/buildkite-plugins/kubernetes-buildkite-plugin";

describe("stand-in: job env and steps files", () => {
  it("expands plugin shorthand the way Buildkite does", () => {
    assert.equal(expandPluginSource("kubernetes"), K8S_PLUGIN);
    assert.equal(expandPluginSource("docker#v5.12.0"), "github.com/buildkite-plugins/docker-buildkite-plugin#v5.12.0");
    assert.equal(expandPluginSource("acme/cache#v1"), "github.com/acme/cache-buildkite-plugin#v1");
    assert.equal(expandPluginSource("acme/cache-buildkite-plugin"), "github.com/acme/cache-buildkite-plugin");
    assert.equal(expandPluginSource("github.com/acme/thing#main"), "github.com/acme/thing#main");
    assert.equal(expandPluginSource("https://git.example.com/x.git#v1"), "https://git.example.com/x.git#v1");
    assert.equal(expandPluginSource("./.buildkite/plugins/local"), "./.buildkite/plugins/local");
  });

  it("normalises every plugins form to single-key objects", () => {
    assert.deepEqual(normalisePlugins(["docker#v1", { kubernetes: { podSpec: {} } }]), [
      { "github.com/buildkite-plugins/docker-buildkite-plugin#v1": null },
      { [K8S_PLUGIN]: { podSpec: {} } },
    ]);
    assert.deepEqual(normalisePlugins({ kubernetes: { checkout: { skip: true } } }), [{ [K8S_PLUGIN]: { checkout: { skip: true } } }]);
    assert.throws(() => normalisePlugins([{ a: 1, b: 2 }]), /exactly one key/);
  });

  it("serves Buildkite's variables, with step and build env underneath them", async () => {
    const h = await startHarness({ organizationSlug: "acme" });
    try {
      await h.register();
      const id = h.standin.enqueue(
        { label: "Tests", key: "tests", command: "make test", agents: { queue: QUEUE, arch: "arm64" }, env: { FOO: "step", BUILDKITE_JOB_ID: "spoof" }, timeoutInMinutes: 15 },
        { pipeline: "web", branch: "feature/x", commit: "abc123", env: { FOO: "build", BAR: "build" } },
      );
      const { env, command } = (await h.client.getJob(STACK_KEY, id)).body;
      assert.equal(command, "make test");
      assert.equal(env.BUILDKITE_JOB_ID, id, "Buildkite's own variables win");
      assert.equal(env.FOO, "step");
      assert.equal(env.BAR, "build");
      assert.equal(env.BUILDKITE_ORGANIZATION_SLUG, "acme");
      assert.equal(env.BUILDKITE_PIPELINE_SLUG, "web");
      assert.equal(env.BUILDKITE_BRANCH, "feature/x");
      assert.equal(env.BUILDKITE_COMMIT, "abc123");
      assert.equal(env.BUILDKITE_BUILD_NUMBER, "1");
      assert.equal(env.BUILDKITE_BUILD_URL, "https://buildkite.com/acme/web/builds/1");
      assert.equal(env.BUILDKITE_STEP_KEY, "tests");
      assert.equal(env.BUILDKITE_LABEL, "Tests");
      assert.equal(env.BUILDKITE_TIMEOUT, "15");
      assert.equal(env.BUILDKITE_AGENT_META_DATA_QUEUE, QUEUE);
      assert.equal(env.BUILDKITE_AGENT_META_DATA_ARCH, "arm64");
      assert.equal(env.BUILDKITE_PLUGINS, undefined, "no plugins, no variable");
      assert.equal(env.BUILDKITE_IMAGE, undefined);
    } finally {
      await h.stop();
    }
  });

  it("parses a steps file and rejects unknown keys", () => {
    const parsed = parseSteps({
      build: { pipeline: "p" },
      steps: [{ commands: ["a", "b"], agents: ["queue=q"], timeout_in_minutes: 5, artifact_paths: "out/*" }],
    });
    assert.deepEqual(parsed, { build: { pipeline: "p" }, steps: [{ command: ["a", "b"], agents: ["queue=q"], timeoutInMinutes: 5, artifactPaths: "out/*" }] });
    assert.deepEqual(parseSteps([{ command: "x" }]).steps, [{ command: "x" }]);
    assert.throws(() => parseSteps([{ comand: "typo" }]), /unknown key\(s\) comand/);
    assert.throws(() => parseSteps({ nope: [] }), /expected a list of steps/);
  });

  it("ships an example with four readable steps that enqueue on the kubernetes queue", async () => {
    const path = fileURLToPath(new URL("../../standin/example-steps.yaml", import.meta.url));
    const { build, steps } = await loadStepsFile(path);
    assert.equal(steps.length, 4);
    const h = await startHarness();
    try {
      await h.register();
      const ids = h.standin.enqueueBuild(steps, build);
      const listed = (await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE })).body.jobs;
      assert.deepEqual(listed.map((j) => j.id), ids);
      const plugins = JSON.parse((await h.client.getJob(STACK_KEY, ids[1] ?? "")).body.env.BUILDKITE_PLUGINS ?? "[]") as Record<string, { podSpec: { containers: unknown[] } }>[];
      assert.equal(plugins[0]?.[K8S_PLUGIN]?.podSpec.containers.length, 2);
    } finally {
      await h.stop();
    }
  });
});

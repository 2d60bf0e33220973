import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { registerDispatcher } from "../../../dispatcher/command.ts";
import { toLogfmt } from "../../../dispatcher/logger.ts";
import { DISPATCHER_OPTIONS, envName } from "../../../dispatcher/settings/options.ts";
import { resolveSettings } from "../../../dispatcher/settings/resolve.ts";

describe("dispatcher settings (defaults < file < env < flags)", () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "agentify-dispatcher-settings-"));
    file = join(dir, "config.yaml");
    writeFileSync(file, [
      "namespace: from-file",
      "max-in-flight: 7",
      "poll-interval: 3s",
      "tags: [queue=file, os=linux]",
      "prohibit-kubernetes-plugin: true",
      "agent-config:",
      "  endpoint: http://127.0.0.1:9/v3",
      "image: agent:from-file",
    ].join("\n"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("uses defaults without a file", () => {
    const { config } = resolveSettings({ flags: {}, env: {} });
    expect(config["max-in-flight"]).to.equal(25);
    expect(config["poll-interval"]).to.equal(1);
    expect(config["job-creation-timeout"]).to.equal(600);
  });

  it("reads the file (CONFIG or --config), the environment over it, flags over both, zero and false included", () => {
    expect(resolveSettings({ flags: {}, env: { CONFIG: file } }).config.namespace).to.equal("from-file");
    const env = { MAX_IN_FLIGHT: "0", NAMESPACE: "from-env", PROHIBIT_KUBERNETES_PLUGIN: "false", TAGS: "", BUILDKITE_K8S_STACK_CONTROLLER_ID: "env-id" };
    const fromEnv = resolveSettings({ flags: { config: file }, env }).config;
    expect(fromEnv["max-in-flight"]).to.equal(0);
    expect(fromEnv.namespace).to.equal("from-env");
    expect(fromEnv["prohibit-kubernetes-plugin"]).to.equal(false);
    expect(fromEnv.tags).to.deep.equal([]);
    expect(fromEnv.id).to.equal("env-id");
    expect(fromEnv.image).to.equal("agent:from-file");
    const fromFlags = resolveSettings({ flags: { config: file, maxInFlight: "3", namespace: "from-flag", prohibitKubernetesPlugin: true, pollInterval: "2s", tags: "os=mac" }, env }).config;
    expect(fromFlags["max-in-flight"]).to.equal(3);
    expect(fromFlags.namespace).to.equal("from-flag");
    expect(fromFlags["prohibit-kubernetes-plugin"]).to.equal(true);
    expect(fromFlags["poll-interval"]).to.equal(2);
    expect(fromFlags.tags).to.deep.equal(["os=mac"]);
  });

  it("takes the endpoint from --endpoint, then BUILDKITE_AGENT_ENDPOINT", () => {
    expect(resolveSettings({ flags: { endpoint: "http://a/v3" }, env: { BUILDKITE_AGENT_ENDPOINT: "http://b/v3" } }).endpoint).to.equal("http://a/v3");
    expect(resolveSettings({ flags: {}, env: { BUILDKITE_AGENT_ENDPOINT: "http://b/v3" } }).endpoint).to.equal("http://b/v3");
  });

  it("rejects bad values with the source named, and poll intervals under 1s", () => {
    expect(() => resolveSettings({ flags: {}, env: { MAX_IN_FLIGHT: "lots" } })).to.throw(/environment variable MAX_IN_FLIGHT: expected an integer/);
    expect(() => resolveSettings({ flags: { enableQueuePause: "maybe" }, env: {} })).to.throw(/--enable-queue-pause: expected true or false/);
    expect(() => resolveSettings({ flags: { pollInterval: "500ms" }, env: {} })).to.throw(/poll-interval: must be at least 1s/);
    expect(() => resolveSettings({ flags: { config: join(dir, "missing.yaml") }, env: {} })).to.throw(/cannot read config file/);
  });

  it("rejects unknown keys in the file", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "max-in-flite: 3\n");
    expect(() => resolveSettings({ flags: { config: bad }, env: {} })).to.throw(/max-in-flite: unknown key/);
  });

  it("lists every flag with its environment variable in --help", () => {
    const program = new Command("agentify");
    registerDispatcher(program);
    const help = program.commands.find((c) => c.name() === "dispatcher")?.helpInformation() ?? "";
    for (const flag of ["--config", "--kubeconfig", "--endpoint"]) expect(help).to.contain(flag);
    for (const spec of DISPATCHER_OPTIONS) {
      expect(help, spec.key).to.contain(`--${spec.key}`);
      expect(help, spec.key).to.contain(`env ${envName(spec)}`);
    }
  });

  it("formats logfmt lines", () => {
    const line = toLogfmt(JSON.stringify({ level: 30, time: 0, msg: "reserved jobs", reserved: 3, component: "monitor", note: "a b" }));
    expect(line).to.equal('time=1970-01-01T00:00:00.000Z level=info msg="reserved jobs" reserved=3 component=monitor note="a b"\n');
  });
});

import { expect } from "chai";
import { ConfigError, defaultConfig, parseConfig } from "../../../webhook/core/index.ts";

function errorOf(text: string): string {
  try {
    parseConfig(text, "config.yaml");
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("works with no file: agent-stack-k8s defaults", () => {
    const config = defaultConfig();
    expect(config.image).to.match(/^ghcr\.io\/buildkite\/agent:/);
    expect(config["agent-token-secret"]).to.equal("buildkite-agent-token");
    expect(config["job-ttl"]).to.equal(600);
    expect(config["job-active-deadline-seconds"]).to.equal(21600);
    expect(config["default-termination-grace-period-seconds"]).to.equal(60);
    expect(config["max-in-flight"]).to.equal(25);
    expect(config["job-prefix"]).to.equal("buildkite-");
    expect(parseConfig("", "empty.yaml")).to.deep.equal(config);
  });

  it("reads durations as Go strings", () => {
    const config = parseConfig("job-ttl: 1h30m\npoll-interval: 2s\npod-pending-timeout: 5m\n", "c.yaml");
    expect(config["job-ttl"]).to.equal(5400);
    expect(config["poll-interval"]).to.equal(2);
    expect(config["pod-pending-timeout"]).to.equal(300);
  });

  it("rejects unknown keys with their path", () => {
    expect(errorOf("imagee: x\n")).to.equal("config.yaml: imagee: unknown key");
    expect(errorOf("agent-config:\n  hookspath: /x\n")).to.equal("config.yaml: agent-config.hookspath: unknown key");
  });

  it("rejects wrong types with the key's path", () => {
    expect(errorOf("max-in-flight: lots\n")).to.equal("config.yaml: max-in-flight: Invalid input: expected number, received string");
    expect(errorOf("default-checkout-params:\n  skip: 'yes'\n")).to.equal(
      "config.yaml: default-checkout-params.skip: Invalid input: expected boolean, received string",
    );
    expect(errorOf("job-ttl: soon\n")).to.equal('config.yaml: job-ttl: invalid duration "soon" (expected e.g. "90s", "10m", "1h30m")');
    expect(errorOf("tags: [queue]\n")).to.equal("config.yaml: tags[0]: expected k=v");
  });

  it("rejects invalid YAML", () => {
    expect(errorOf("a: [\n")).to.match(/^config\.yaml: invalid YAML: /);
  });

  it("checks the default resource class exists", () => {
    expect(errorOf("default-resource-class-name: big\n")).to.equal(
      "config.yaml: default-resource-class-name: resource classes not configured but default-resource-class-name is set",
    );
    expect(errorOf("default-resource-class-name: big\nresource-classes:\n  small: {}\n")).to.equal(
      "config.yaml: default-resource-class-name: default resource class not found: big",
    );
  });

  it("refuses a pod-spec-patch that sets commands or uppercase images", () => {
    expect(errorOf("pod-spec-patch:\n  containers:\n    - name: sidecar\n      command: [x]\n")).to.equal(
      "config.yaml: pod-spec-patch.containers[0]: modifying container commands or args via pod-spec-patch is not supported (set allow-pod-spec-patch-unsafe-command-modification to allow it)",
    );
    expect(errorOf("pod-spec-patch:\n  containers:\n    - name: x\n      image: Alpine\n")).to.equal(
      'config.yaml: pod-spec-patch.containers[0].image: container image "Alpine" must be lowercase',
    );
  });
});

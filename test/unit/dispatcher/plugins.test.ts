import { expect } from "chai";
import { isKubernetesPluginSource, JobParseError, parseJobPlugins } from "../../../dispatcher/job/plugins.ts";

const K8S = "github.com/buildkite-plugins/kubernetes-buildkite-plugin";
const allow = { prohibitKubernetesPlugin: false };

function parseError(env: string, opts = allow): string {
  try {
    parseJobPlugins(env, opts);
  } catch (err) {
    expect(err).to.be.instanceOf(JobParseError);
    return (err as Error).message;
  }
  throw new Error("expected a JobParseError");
}

describe("dispatcher BUILDKITE_PLUGINS parsing", () => {
  it("finds no plugin when the env is absent, empty or null", () => {
    for (const env of [undefined, "", "null", "[]"]) expect(parseJobPlugins(env, allow).kubernetes, String(env)).to.equal(undefined);
  });

  it("extracts and validates the kubernetes plugin among others, keeping its JSON as given", () => {
    const config = { podSpec: { containers: [{ image: "alpine", command: ["true"] }] }, checkout: { skip: true } };
    const env = JSON.stringify([{ "github.com/buildkite-plugins/docker-buildkite-plugin#v5": { image: "x" } }, { [K8S]: config }]);
    const parsed = parseJobPlugins(env, allow);
    expect(parsed.kubernetes?.checkout?.skip).to.equal(true);
    expect(JSON.parse(parsed.kubernetesJson ?? "")).to.deep.equal(config);
  });

  it("accepts a versioned source and a plugin without config", () => {
    expect(isKubernetesPluginSource(`${K8S}#v1.2.3`)).to.equal(true);
    expect(isKubernetesPluginSource("github.com/acme/kubernetes-buildkite-plugin")).to.equal(false);
    const parsed = parseJobPlugins(JSON.stringify([{ [K8S]: null }]), allow);
    expect(parsed.kubernetes).to.deep.equal({});
    expect(parsed.kubernetesJson).to.equal("{}");
  });

  it("names the bad field of an invalid plugin config", () => {
    const message = parseError(JSON.stringify([{ [K8S]: { podSpec: {}, checkout: { skip: "yes" } } }]));
    expect(message).to.match(/^failed parsing Kubernetes plugin: checkout\.skip: /);
    expect(parseError(JSON.stringify([{ [K8S]: { podSpc: {} } }]))).to.match(/podSpc: unknown key/);
  });

  it("rejects invalid JSON, a non-array and malformed entries", () => {
    expect(parseError("[{")).to.match(/^failed parsing plugins: /);
    expect(parseError("{}")).to.match(/not a JSON array/);
    expect(parseError(JSON.stringify([{ a: 1, b: 2 }]))).to.match(/^found invalid plugin: /);
    expect(parseError(JSON.stringify(["docker"]))).to.match(/^found invalid plugin: /);
  });

  it("refuses the plugin when prohibit-kubernetes-plugin is set, but not other plugins", () => {
    const prohibit = { prohibitKubernetesPlugin: true };
    expect(parseError(JSON.stringify([{ [K8S]: {} }]), prohibit)).to.match(/prohibited/);
    expect(parseJobPlugins(JSON.stringify([{ "github.com/buildkite-plugins/docker-buildkite-plugin": {} }]), prohibit).kubernetes).to.equal(undefined);
  });

  it("rejects the plugin configured twice", () => {
    expect(parseError(JSON.stringify([{ [K8S]: {} }, { [`${K8S}#v2`]: {} }]))).to.match(/more than once/);
  });
});

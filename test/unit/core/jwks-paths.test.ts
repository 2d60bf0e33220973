// `agent-config.signing-jwks-file` and `verification-jwks-file`: a relative path names a file in
// the JWKS volume, which is mounted at the default directory (/buildkite/signing-jwks,
// /buildkite/verification-jwks), as agent-stack-k8s does; an absolute path is mounted at its
// directory. A path that would mount a volume over the container's own files is a config error.
import { expect } from "chai";
import { ConfigError } from "../../../webhook/core/index.ts";
import type { Container } from "../../../webhook/core/k8s.ts";
import { agentified, config, container, envOf, labelledJob } from "./jobs.ts";

const SIGNING = { name: "signing-jwks", secret: { secretName: "signing" } };
const VERIFICATION = { name: "verification-jwks", secret: { secretName: "verification" } };

const mountsOf = (c: Container, volume: string) => (c.volumeMounts ?? []).filter((m) => m.name === volume).map((m) => m.mountPath);

function render(agentConfig: Record<string, unknown>) {
  const job = agentified(labelledJob(), config({ "agent-config": agentConfig }));
  return { agent: container(job, "agent"), build: container(job, "build") };
}

describe("JWKS file paths", () => {
  it("resolves a relative signing file in the volume mounted at /buildkite/signing-jwks", () => {
    const { agent, build } = render({ "signing-jwks-file": "signing.json", signingJWKSVolume: SIGNING });
    expect(envOf(agent, "BUILDKITE_AGENT_SIGNING_JWKS_FILE")).to.equal("/buildkite/signing-jwks/signing.json");
    expect(mountsOf(agent, "signing-jwks")).to.deep.equal(["/buildkite/signing-jwks"]);
    expect(mountsOf(build, "signing-jwks")).to.deep.equal(["/buildkite/signing-jwks"]);
  });

  it("resolves a relative verification file in the volume mounted at /buildkite/verification-jwks", () => {
    const { agent, build } = render({ "verification-jwks-file": "verify.json", verificationJWKSVolume: VERIFICATION });
    expect(envOf(agent, "BUILDKITE_AGENT_VERIFICATION_JWKS_FILE")).to.equal("/buildkite/verification-jwks/verify.json");
    expect(mountsOf(agent, "verification-jwks")).to.deep.equal(["/buildkite/verification-jwks"]);
    expect(mountsOf(build, "verification-jwks")).to.deep.equal([]);
  });

  it("keeps a relative path's folders inside the volume (a Secret's items may use them)", () => {
    const { agent } = render({ "signing-jwks-file": "./keys/signing.json", signingJWKSVolume: SIGNING });
    expect(envOf(agent, "BUILDKITE_AGENT_SIGNING_JWKS_FILE")).to.equal("/buildkite/signing-jwks/keys/signing.json");
    expect(mountsOf(agent, "signing-jwks")).to.deep.equal(["/buildkite/signing-jwks"]);
  });

  it("resolves a relative file without a volume too (the agent has no working directory to resolve it in)", () => {
    const { agent } = render({ "verification-jwks-file": "verify.json" });
    expect(envOf(agent, "BUILDKITE_AGENT_VERIFICATION_JWKS_FILE")).to.equal("/buildkite/verification-jwks/verify.json");
  });

  it("mounts an absolute file's directory, and uses the default file when none is named", () => {
    expect(mountsOf(render({ "signing-jwks-file": "/etc-keys/jwks/s.json", signingJWKSVolume: SIGNING }).agent, "signing-jwks")).to.deep.equal(["/etc-keys/jwks"]);
    const { agent } = render({ signingJWKSVolume: SIGNING, verificationJWKSVolume: VERIFICATION, "signing-jwks-file": "" });
    expect(envOf(agent, "BUILDKITE_AGENT_SIGNING_JWKS_FILE")).to.equal("/buildkite/signing-jwks/key");
    expect(envOf(agent, "BUILDKITE_AGENT_VERIFICATION_JWKS_FILE")).to.equal("/buildkite/verification-jwks/key");
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ["a file in / with a volume", { "signing-jwks-file": "/key.json", signingJWKSVolume: SIGNING }, /^test config: agent-config\.signing-jwks-file: .*"\/key\.json".* at "\/"/],
    ["a system directory", { "verification-jwks-file": "/usr/local/bin/jwks", verificationJWKSVolume: VERIFICATION }, /agent-config\.verification-jwks-file: .*"\/usr\/local\/bin"/],
    ["the agent image's config directory", { "signing-jwks-file": "/buildkite/key", signingJWKSVolume: SIGNING }, /agent-config\.signing-jwks-file: .*"\/buildkite"/],
    ["the workspace", { "signing-jwks-file": "/workspace/key", signingJWKSVolume: SIGNING }, /agent-config\.signing-jwks-file: .*"\/workspace"/],
    ["a path that names a directory", { "verification-jwks-file": "keys/" }, /agent-config\.verification-jwks-file: .*names a directory/],
    ["a relative path out of the volume", { "signing-jwks-file": "../signing.json", signingJWKSVolume: SIGNING }, /agent-config\.signing-jwks-file: .*outside/],
    ["both volumes in one directory", {
      "signing-jwks-file": "/keys/s.json", signingJWKSVolume: SIGNING, "verification-jwks-file": "/keys/v.json", verificationJWKSVolume: VERIFICATION,
    }, /agent-config\.verification-jwks-file: .*"\/keys".*signing/],
  ];
  for (const [what, agentConfig, message] of refused) {
    it(`refuses ${what} with an error naming the key`, () => {
      expect(() => config({ "agent-config": agentConfig })).to.throw(ConfigError, message);
    });
  }

  it("allows an absolute file in / when no volume is mounted there (the file is the image's)", () => {
    expect(envOf(render({ "signing-jwks-file": "/key.json" }).agent, "BUILDKITE_AGENT_SIGNING_JWKS_FILE")).to.equal("/key.json");
  });
});

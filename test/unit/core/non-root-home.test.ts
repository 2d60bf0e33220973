// Every container agentify runs as a non-root user (agent, checkout, command containers) gets a
// writable HOME on the workspace volume: with no passwd entry the runtime gives HOME=/, where
// the agent image's entrypoint (`mkdir -p ~/.ssh`) fails and the agent never starts. A volume
// also works under a read-only root filesystem and Pod Security "restricted".
import { expect } from "chai";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { agentified, config, container, envOf, labelledJob, podOf } from "./jobs.ts";

const RUNNERS = ["build", "agent", "checkout"];
const MODES = ["chown", "fs-group"] as const;

/** The volume mount that holds `path` in `c`, if any. */
function mountHolding(c: Container, path: string) {
  return (c.volumeMounts ?? []).find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
}

function expectWritableHome(job: Job, name: string): string {
  const c = container(job, name);
  const home = envOf(c, "HOME");
  expect(home, `${name} HOME`).to.be.a("string");
  expect(mountHolding(c, home as string)?.name, `${name}: HOME ${home} is on the workspace volume`).to.equal("workspace");
  return home as string;
}

describe("non-root containers get a writable HOME", () => {
  for (const mode of MODES) {
    it(`${mode}: agent, checkout and command containers of a non-root pod`, () => {
      const job = agentified(labelledJob({ pod: { securityContext: { runAsUser: 1000, runAsGroup: 1001 } } }), config({ "non-root-workspace": mode }));
      const homes = RUNNERS.map((name) => expectWritableHome(job, name));
      expect(new Set(homes).size, "one HOME for the pod's user").to.equal(1);
      const copyAgent = container(job, "copy-agent").args?.[1] ?? "";
      // The workspace root (HOME) belongs to the user: chowned by copy-agent, or shared through fsGroup.
      if (mode === "chown") expect(copyAgent).to.contain("chown -R 1000:1001 /workspace");
      else expect(podOf(job).securityContext?.fsGroup).to.equal(1001);
    });

    it(`${mode}: a user made non-root by a podSpecPatch`, () => {
      const job = agentified(labelledJob({ plugin: { podSpecPatch: { securityContext: { runAsUser: 1000 } } } }), config({ "non-root-workspace": mode }));
      for (const name of RUNNERS) expectWritableHome(job, name);
    });
  }

  it("chown: the checkout user's home is the same HOME", () => {
    const job = agentified(labelledJob({ pod: { securityContext: { runAsUser: 1000 } } }));
    const home = expectWritableHome(job, "checkout");
    const script = container(job, "checkout").args?.[0] ?? "";
    expect(script).to.contain(`-d ${home} `).and.to.contain(`-h ${home} `);
  });

  it("a container made non-root by its own securityContext in a root pod", () => {
    const job = agentified(labelledJob({ containers: [
      { name: "build", image: "node:22", command: ["npm test"], securityContext: { runAsUser: 1000 } },
      { name: "root", image: "alpine:3.20", command: ["make"] },
    ] }));
    expectWritableHome(job, "build");
    for (const name of ["root", "agent", "checkout"]) expect(envOf(container(job, name), "HOME"), name).to.equal(undefined);
  });

  it("keeps a HOME the Job sets itself on a command container", () => {
    const job = agentified(labelledJob({
      pod: { securityContext: { runAsUser: 1000 } },
      containers: [{ name: "build", image: "node:22", command: ["npm test"], env: [{ name: "HOME", value: "/home/node" }] }],
    }));
    expect(container(job, "build").env?.filter((e) => e.name === "HOME")).to.deep.equal([{ name: "HOME", value: "/home/node" }]);
  });

  it("adds no HOME to root pods (root's HOME comes from the image)", () => {
    const job = agentified(labelledJob({ pod: { securityContext: { runAsUser: 0 } } }));
    for (const name of RUNNERS) expect(envOf(container(job, name), "HOME"), name).to.equal(undefined);
  });
});

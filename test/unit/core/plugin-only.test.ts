// A step with plugins and no command (`plugins: [docker-compose#v5.5.0: {run: app}]`) has an
// empty BUILDKITE_COMMAND: the agent runs the plugins' command hook. The contract: a container
// without `command` must carry BUILDKITE_COMMAND, even empty; only a container with neither is
// refused.
import { expect } from "chai";
import { AgentifyError, tryAgentify } from "../../../webhook/core/index.ts";
import { agentified, config, container, envOf, labelledJob } from "./jobs.ts";

describe("plugin-only steps (empty BUILDKITE_COMMAND)", () => {
  it("agentifies a container whose BUILDKITE_COMMAND is empty, and keeps it empty", () => {
    const job = agentified(labelledJob({ containers: [{ name: "container-0", image: "alpine:3.20", env: [{ name: "BUILDKITE_COMMAND", value: "" }] }] }));
    const c = container(job, "container-0");
    expect(c.env?.filter((e) => e.name === "BUILDKITE_COMMAND")).to.deep.equal([{ name: "BUILDKITE_COMMAND", value: "" }]);
    expect(envOf(c, "BUILDKITE_BOOTSTRAP_PHASES")).to.equal("plugin,command");
    expect(envOf(container(job, "agent"), "BUILDKITE_CONTAINER_COUNT")).to.equal("2");
  });

  it("agentifies an entry without a value as an empty command (the apiserver drops empty values)", () => {
    const job = agentified(labelledJob({ containers: [{ name: "app", image: "alpine:3.20", env: [{ name: "BUILDKITE_COMMAND" }] }] }));
    expect(envOf(container(job, "app"), "BUILDKITE_COMMAND")).to.equal("");
  });

  it("still refuses a container with neither a command nor a BUILDKITE_COMMAND entry", () => {
    const outcome = tryAgentify(labelledJob({ containers: [{ name: "nothing", image: "alpine:3.20" }] }), config());
    expect(outcome).to.deep.include({ result: "denied", reason: "missing-command" });
    if (outcome.result === "denied") expect(outcome.message).to.contain('container "nothing" has neither a command nor a BUILDKITE_COMMAND env entry');
  });

  it("refuses a BUILDKITE_COMMAND taken from elsewhere (valueFrom): the command must be in the Job", () => {
    const job = labelledJob({ containers: [{ name: "app", image: "alpine:3.20", env: [{ name: "BUILDKITE_COMMAND", valueFrom: { configMapKeyRef: { name: "c", key: "k" } } }] }] });
    const outcome = tryAgentify(job, config());
    expect(outcome).to.deep.include({ result: "denied", reason: "missing-command" });
    if (outcome.result === "denied") expect(outcome.message).to.contain("valueFrom");
  });

  it("refuses a patch that leaves a command container with no BUILDKITE_COMMAND at all", () => {
    const job = labelledJob({
      containers: [{ name: "app", image: "alpine:3.20", env: [{ name: "BUILDKITE_COMMAND", value: "make" }] }],
      plugin: { podSpecPatch: { containers: [{ name: "app", env: [{ name: "BUILDKITE_COMMAND", $patch: "delete" }] }] } },
    });
    expect(() => agentified(job)).to.throw(AgentifyError, 'container "app" has no BUILDKITE_COMMAND');
  });

  it("accepts a patch that empties the command (the plugins run instead)", () => {
    const job = labelledJob({
      containers: [{ name: "app", image: "alpine:3.20", env: [{ name: "BUILDKITE_COMMAND", value: "make" }] }],
      plugin: { podSpecPatch: { containers: [{ name: "app", env: [{ name: "BUILDKITE_COMMAND", value: "" }] }] } },
    });
    expect(envOf(container(agentified(job), "app"), "BUILDKITE_COMMAND")).to.equal("");
  });
});

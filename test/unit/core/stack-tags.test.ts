// A Job without the agent-query-rules annotation (from another tool, or a golden) gets the
// stack's tags: the configured queue, unless it names the cluster's default queue (an agent
// without a queue tag joins that one), and the configured tags, the same set the dispatcher
// matches jobs against.
import { expect } from "chai";
import { stackTags } from "../../../dispatcher/loop/agent-tags.ts";
import { agentified, config, container, envOf, labelledJob } from "./jobs.ts";

function agentTags(raw: Record<string, unknown>): { env: string | undefined; labels: Record<string, string> } {
  const job = agentified(labelledJob(), config(raw));
  const labels = Object.fromEntries(Object.entries(job.metadata.labels ?? {}).filter(([k]) => k.startsWith("tag.buildkite.com/")));
  return { env: envOf(container(job, "agent"), "BUILDKITE_AGENT_TAGS"), labels };
}

describe("agent tags of a Job without agent query rules", () => {
  it("carries the configured queue and tags", () => {
    expect(agentTags({ queue: "build", tags: ["os=linux"] })).to.deep.equal({
      env: "queue=build,os=linux",
      labels: { "tag.buildkite.com/queue": "build", "tag.buildkite.com/os": "linux" },
    });
  });

  it("takes the queue from a queue= tag when `queue` is empty, and `queue` over the tag", () => {
    expect(agentTags({ tags: ["os=linux", "queue=build"] }).env).to.equal("queue=build,os=linux");
    expect(agentTags({ queue: "fast", tags: ["queue=build", "os=linux"] }).env).to.equal("queue=fast,os=linux");
  });

  it("carries no queue tag for the cluster's default queue, however it is spelt", () => {
    for (const queue of ["", "_default", "__default__", "~", "-"]) {
      expect(agentTags({ queue, tags: ["os=linux"] }).env, JSON.stringify(queue)).to.equal("os=linux");
      expect(agentTags({ tags: [`queue=${queue}`] }).env, `queue=${queue}`).to.equal("");
    }
  });

  it("keeps the last value of a tag given twice, as the dispatcher matches it", () => {
    expect(agentTags({ tags: ["os=linux", "os=darwin"] }).env).to.equal("os=darwin");
  });

  it("are the tags the dispatcher matches jobs against", () => {
    const configs = [
      { queue: "build", tags: ["os=linux", "arch=arm64"] }, { queue: "", tags: ["queue=q", "a=b=c"] }, { queue: "_default", tags: [] },
      { queue: "x", tags: ["os=1", "os=2", "queue=y"] }, { queue: "~", tags: ["team=ci"] },
    ];
    for (const raw of configs) {
      const expected = [...stackTags(raw).tags].map(([k, v]) => `${k}=${v}`).sort();
      expect((agentTags(raw).env ?? "").split(",").filter((t) => t !== "").sort(), JSON.stringify(raw)).to.deep.equal(expected);
    }
  });

  it("uses the annotation's rules when there is one, even an empty list", () => {
    const job = agentified(labelledJob({ annotations: { "buildkite.com/agent-query-rules": "[]" } }), config({ queue: "build" }));
    expect(envOf(container(job, "agent"), "BUILDKITE_AGENT_TAGS")).to.equal("");
  });
});

// The kubelet rewrites `$$` and `$(NAME)` in env values, command and args. Text that the
// dispatcher or agentify writes from user input (the step's command, a container's command and
// args, tags, flags, config values) must reach the container exactly as written; env values the
// Job itself gives, BUILDKITE_COMMAND included, keep their Kubernetes meaning.
import { expect } from "chai";
import { buildBareJob } from "../../../dispatcher/job/bare-job.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { interpose } from "../../../webhook/core/interposer.ts";
import type { Container } from "../../../webhook/core/k8s.ts";
import { containerArgv, containerEnv, kubeletExpand } from "../../support/kubelet-env.ts";
import { agentified, config, container, labelledJob, podOf, UUID } from "./jobs.ts";

const SERVICE = new Map([["KUBERNETES_SERVICE_HOST", "10.0.0.1"]]);
const seen = (c: Container, name: string): string | undefined => containerEnv(c, { service: SERVICE }).get(name);

/** Text a shell should get as written: every form the kubelet or a careless escaper could touch. */
const TEXTS = [
  'echo "$VAR" ${VAR} $(date) pid=$$',
  "echo $(BUILDKITE_BOOTSTRAP_PHASES) $(BUILDKITE_COMMAND) $(HOME) $(KUBERNETES_SERVICE_HOST) $(A)",
  "$$$(A)$$$$ $( $() $$( trailing $",
  "printf '%s\\n' \"it's\" 'a \"b\"' back\\\\slash\nsecond line\n\tindented $$",
  "$",
  "",
];

describe("the kubelet's expansion rules, as the tests simulate them", () => {
  const map = new Map([["A", "a"], ["B", "b"]]);
  const expand = (s: string) => kubeletExpand(s, (n) => map.get(n) ?? `$(${n})`);
  for (const [input, output] of [
    ["$(A)", "a"], ["___$(B)___", "___b___"], ["$(A)$(B)", "ab"], ["$$(A)", "$(A)"], ["$$$(A)", "$a"],
    ["$$", "$"], ["$$$$", "$$"], ["$", "$"], ["x$", "x$"], ["$(A", "$(A"], ["$(UNDEFINED)", "$(UNDEFINED)"],
    ["$()", "$()"], ["$A ${A}", "$A ${A}"], ["$(foo$$var)", "$(foo$$var)"], ["$$(UNDEFINED", "$(UNDEFINED"],
  ] as const) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(output)}`, () => expect(expand(input)).to.equal(output));
  }

  it("an env value sees only the entries declared before it", () => {
    const env = containerEnv({ name: "c", env: [{ name: "X", value: "$(Y)" }, { name: "Y", value: "y" }, { name: "Z", value: "$(Y)" }] });
    expect([env.get("X"), env.get("Z")]).to.deep.equal(["$(Y)", "y"]);
  });
});

describe("text agentify writes reaches the container as written", () => {
  // A user env entry before the command: `$(A)` in the command must still not expand.
  const userEnv = [{ name: "A", value: "a" }, { name: "B", value: "$(A)-$$" }];

  for (const text of TEXTS) {
    it(`the step command ${JSON.stringify(text)}, written by the dispatcher`, () => {
      const bare = buildBareJob(
        { uuid: UUID, command: text, env: {}, priority: 0, agentQueryRules: [], plugin: { podSpec: { containers: [{ name: "app", image: "alpine:3.20", env: userEnv }] } }, pluginJson: "{}" },
        { namespace: "ci", jobPrefix: "buildkite-", controllerId: "", image: "ghcr.io/buildkite/agent:3.136.2" },
      );
      const job = agentified(bare as unknown as JsonObject);
      expect(seen(container(job, "app"), "BUILDKITE_COMMAND")).to.equal(text);
      expect(seen(bare.spec.template.spec.containers[0] as Container, "BUILDKITE_COMMAND"), "the bare Job means the same").to.equal(text);
    });
  }

  it("a Job's own env values, BUILDKITE_COMMAND among them, mean after agentify what they meant before", () => {
    for (const text of TEXTS) {
      const bare: Container = { name: "app", image: "alpine:3.20", env: [...userEnv, { name: "BUILDKITE_COMMAND", value: text }, { name: "LATER", value: "l$(A)" }] };
      const after = container(agentified(labelledJob({ containers: [structuredClone(bare)] })), "app");
      for (const name of ["A", "B", "BUILDKITE_COMMAND", "LATER"]) expect(seen(after, name), `${name} with ${JSON.stringify(text)}`).to.equal(seen(bare, name));
    }
  });

  for (const interposer of ["buildkite", "vector", "legacy"] as const) {
    it(`a container's command and args, interposed (${interposer})`, () => {
      const command = [TEXTS[0] as string, TEXTS[1] as string];
      const args = [TEXTS[2] as string, TEXTS[3] as string];
      const job = agentified(labelledJob({
        containers: [{ name: "app", image: "alpine:3.20", env: userEnv, command, args }],
        plugin: { commandParams: { interposer } },
      }));
      expect(seen(container(job, "app"), "BUILDKITE_COMMAND")).to.equal(interpose(interposer, command, args));
    });
  }

  it("a command set by a podSpecPatch", () => {
    const job = agentified(labelledJob({ plugin: { podSpecPatch: { containers: [{ name: "build", command: [TEXTS[0]] }] } } }));
    expect(seen(container(job, "build"), "BUILDKITE_COMMAND")).to.equal(TEXTS[0]);
  });

  it("agent tags, git flags and agent-config values", () => {
    const tags = ["queue=q", "x=$(BUILDKITE_KUBERNETES_EXEC)$$"];
    const flags = "--depth=$(BUILDKITE_KUBERNETES_EXEC) $$";
    const endpoint = "http://api.local/$(BUILDKITE_KUBERNETES_EXEC)/$$";
    const job = agentified(
      labelledJob({ annotations: { "buildkite.com/agent-query-rules": JSON.stringify(tags) }, plugin: { checkout: { cloneFlags: flags } } }),
      config({ "agent-config": { endpoint }, "additional-redacted-vars": ["*_$(BUILDKITE_KUBERNETES_EXEC)"] }),
    );
    const agent = container(job, "agent");
    expect(seen(agent, "BUILDKITE_AGENT_TAGS")).to.equal(tags.join(","));
    expect(seen(agent, "BUILDKITE_GIT_CLONE_FLAGS")).to.equal(flags);
    expect(seen(agent, "BUILDKITE_AGENT_ENDPOINT")).to.equal(endpoint);
    expect(seen(agent, "BUILDKITE_REDACTED_VARS")).to.match(/,\*_\$\(BUILDKITE_KUBERNETES_EXEC\)$/);
  });

  it("the scripts agentify writes into command and args are not rewritten by the kubelet", () => {
    for (const runAsUser of [undefined, 1000]) {
      const job = agentified(labelledJob({ pod: runAsUser ? { securityContext: { runAsUser } } : {}, plugin: { checkout: { gitCredentialsSecret: { secretName: "git" } } } }));
      const spec = podOf(job);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(containerArgv(c, { service: SERVICE }), c.name).to.deep.equal({ command: c.command ?? [], args: c.args ?? [] });
      }
    }
  });

  it("escapes once: agentifying the agentified Job changes nothing", () => {
    const job = agentified(labelledJob({ containers: [{ name: "app", image: "alpine:3.20", command: [TEXTS[0] as string] }] }));
    const again = agentified(job as unknown as Parameters<typeof agentified>[0]);
    expect(again).to.deep.equal(job);
    expect(seen(container(again, "app"), "BUILDKITE_COMMAND")).to.equal(TEXTS[0]);
  });
});

// Step commands, round trip: the dispatcher's bare Job → the real apiserver (decoding and
// defaulting it) → the agentify webhook → the stored Job. A step of plugins only is agentified
// with an empty BUILDKITE_COMMAND (the apiserver stores it without a value), and the shell of each
// command container gets the command exactly as the step wrote it, `$` and all, once the kubelet's
// expansion rules are applied to what is stored.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { interpose } from "../../../webhook/core/interposer.ts";
import { checklistViolations } from "../../support/checklist.ts";
import { containerEnv } from "../../support/kubelet-env.ts";
import { isAgentified } from "../webhook/helpers/registration.ts";
import { containerOf, createStored, dispatcherJob, startStack } from "./stacks.ts";
import type { Stack } from "./stacks.ts";

const TEXTS = [
  'echo "pid=$$ $(BUILDKITE_BOOTSTRAP_PHASES)"',
  'echo "$VAR" ${VAR} $(date) $(HOME) $(KUBERNETES_SERVICE_HOST) $(A) $$$$ trailing $',
  "printf '%s\\n' \"it's\" 'a \"b\"' back\\\\slash\nsecond line\n\t$( $() $$(",
];
const SERVICE = new Map([["KUBERNETES_SERVICE_HOST", "10.0.0.1"]]);

describe("compat e2e: step commands through the dispatcher, the apiserver and the webhook", () => {
  let stack: Stack;

  before(async function () {
    this.timeout(180_000);
    stack = await startStack("commands", { queue: "kubernetes" });
  });

  after(async () => {
    await stack?.close();
  });

  it("agentifies a step of plugins only, with an empty BUILDKITE_COMMAND", async () => {
    const uuid = randomUUID();
    const bare = dispatcherJob(stack.namespace, { uuid, command: "", agentQueryRules: ["queue=kubernetes"] });
    const stored = await createStored(stack.api, bare);
    expect(isAgentified(stored as unknown as JsonObject), "stored agentified").to.equal(true);
    const c = containerOf(stored, "container-0");
    expect(c.env?.filter((e) => e.name === "BUILDKITE_COMMAND").map((e) => e.value ?? "")).to.deep.equal([""]);
    expect(containerOf(stored, "agent").env?.find((e) => e.name === "BUILDKITE_CONTAINER_COUNT")?.value).to.equal("2");
    expect(checklistViolations(stored, { inputContainers: [{ name: "container-0" }], expectedCommands: [""], checkout: true })).to.deep.equal([]);
  });

  for (const text of TEXTS) {
    it(`gives the shell ${JSON.stringify(text)} as written`, async () => {
      const uuid = randomUUID();
      const podSpec = {
        containers: [
          { name: "step", image: "alpine:3.20", env: [{ name: "A", value: "a" }] },
          { name: "tool", image: "alpine:3.20", command: [text], args: [text] },
        ],
      };
      const bare = dispatcherJob(stack.namespace, { uuid, command: text, plugin: { podSpec }, pluginJson: JSON.stringify({ podSpec }) });
      const stored = await createStored(stack.api, bare);
      const seen = (name: string) => containerEnv(containerOf(stored, name), { service: SERVICE }).get("BUILDKITE_COMMAND");
      expect(seen("step"), "the step's command").to.equal(text);
      expect(seen("tool"), "a container's command and args, interposed").to.equal(interpose(undefined, [text], [text]));
    });
  }
});

// Item 7: reinvocation. A second mutating webhook (helpers/env-injector.ts) adds an env var to
// every container of Jobs; both it and agentify have reinvocationPolicy IfNeeded. The apiserver
// calls configurations in name order, so "a-…" runs before "agentify" and "zz-…" after it. In
// both orders the stored Job must be a correct agent Job: containers neither missing nor
// duplicated, container IDs and count right, the injected variable on every container once.
import { expect } from "chai";
import { agentify } from "../../../webhook/core/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { checklistViolations } from "../../support/checklist.ts";
import { jobsPath } from "../support/api.ts";
import { createNamespace, deleteNamespace } from "../support/namespaces.ts";
import { eventually } from "../support/wait.ts";
import { EXTRA_LABEL, MANIFESTS_NS_LABELS } from "./helpers/env.ts";
import { injectionProblems, startEnvInjector } from "./helpers/env-injector.ts";
import type { EnvInjector } from "./helpers/env-injector.ts";
import { bareJob, containersOf, names, podSpecOf, withEmptyEnvValues } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { admissionCounts, countDelta } from "./helpers/metrics.ts";
import { deleteMutatingWebhookConfiguration, dryRunProbe, isAgentified, putMutatingWebhookConfiguration } from "./helpers/registration.ts";

const ORDERS = [
  { order: "before", config: "a-e2e-env-injector" },
  { order: "after", config: "zz-e2e-env-injector" },
] as const;

describe("webhook e2e: reinvocation with a second mutating webhook", () => {
  let installed: Installed;
  let injector: EnvInjector;
  const namespaces: Record<string, string> = {};

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    const { api, certDir, caBundle } = installed.env;
    injector = await startEnvInjector(certDir);
    for (const { order, config } of ORDERS) {
      const label = `inject-${order}`;
      namespaces[order] = await createNamespace(api, `e2e-reinv-${order}`, { ...MANIFESTS_NS_LABELS, [EXTRA_LABEL]: label });
      await putMutatingWebhookConfiguration(api, config, [{
        name: "env.injector.e2e.agentify",
        clientConfig: { url: injector.url, caBundle },
        rules: [{ apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], operations: ["CREATE"], scope: "Namespaced" }],
        namespaceSelector: { matchLabels: { [EXTRA_LABEL]: label } },
        failurePolicy: "Fail",
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        timeoutSeconds: 5,
        reinvocationPolicy: "IfNeeded",
      }]);
    }
    for (const ns of Object.values(namespaces)) {
      await eventually(`both webhooks in effect in ${ns}`, async () => {
        const res = await dryRunProbe(api, ns);
        return res.status === 201 && isAgentified(res.body) && injectionProblems(podSpecOf(res.body)).length === 0 ? true : undefined;
      });
    }
  });

  after(async () => {
    if (!installed) return;
    for (const { config } of ORDERS) await deleteMutatingWebhookConfiguration(installed.env.api, config);
    for (const ns of Object.values(namespaces)) await deleteNamespace(installed.env.api, ns);
    await injector?.close();
  });

  for (const { order } of ORDERS) {
    it(`stores a correct agent Job when the injector runs ${order} agentify`, async () => {
      const { api, config, webhook } = installed.env;
      const ns = namespaces[order] as string;
      const bare = bareJob({ namespace: ns });
      const name = String((bare["metadata"] as JsonObject)["name"]);
      const before = await admissionCounts(webhook);
      const stored = await api.create(jobsPath(ns), bare);
      const agentifyCalls = countDelta(before, await admissionCounts(webhook));
      const injectorCalls = injector.calls.filter((c) => c.namespace === ns && c.name === name);

      const spec = podSpecOf(stored);
      const inputContainers = containersOf(podSpecOf(bare)) as unknown as Container[];
      expect(checklistViolations(withEmptyEnvValues(stored) as unknown as Job, { inputContainers, checkout: true })).to.deep.equal([]);
      expect(injectionProblems(spec)).to.deep.equal([]);
      const alone = podSpecOf(agentify(bare, config));
      expect(names(containersOf(spec, "initContainers"))).to.deep.equal(names(containersOf(alone, "initContainers")));
      expect(names(containersOf(spec))).to.deep.equal(names(containersOf(alone)));
      expect((stored["spec"] as JsonObject)["suspend"]).to.equal(false);

      // agentify is called again and leaves the agentified Job be: after the injector in the
      // "after" order, after the injector's second call (for agentify's new containers) in "before".
      expect(agentifyCalls).to.deep.equal({ "agentified/agentified": 1, "unchanged/already-agentified": 1 });
      expect(injectorCalls.map((c) => c.operations > 0)).to.deep.equal(order === "before" ? [true, true] : [true]);
    });
  }
});

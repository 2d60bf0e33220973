// Item 8: RBAC of the manifests' ServiceAccounts, by making real requests while impersonating
// each one (user system:serviceaccount:NS:NAME plus the groups its token would carry). A call
// counts as allowed unless the apiserver answers 401/403: a 404 for a missing object proves that
// authorization passed. The dispatcher's calls are those of dispatcher/kube/clients.ts.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { eventsPath, jobsPath, podsPath, podTemplatesPath, serviceAccountHeaders } from "../support/api.ts";
import type { KubeApi } from "../support/api.ts";
import { bareJob } from "./helpers/jobs.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { MWC_PATH } from "./helpers/registration.ts";

const DISPATCHER = { namespace: "buildkite", name: "agentify-dispatcher" };
const WEBHOOK = { namespace: "agentify-system", name: "agentify-webhook" };
const TOKEN_SECRET = "buildkite-agent-token";

interface Call {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  contentType?: string;
}

const pod = (namespace: string): JsonObject =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name: "rbac-probe", namespace }, spec: { containers: [{ name: "c", image: "alpine:3.20" }] } });

/** Each call made as `sa`; lists "what: HTTP status" for those whose outcome is not `expected`. */
async function unexpected(api: KubeApi, sa: { namespace: string; name: string }, calls: Call[], expected: "allowed" | "forbidden"): Promise<string[]> {
  const wrong: string[] = [];
  for (const call of calls) {
    const res = await api.request(call.method, call.path, {
      body: call.body, headers: serviceAccountHeaders(sa.namespace, sa.name), timeoutMs: 10_000,
      ...(call.contentType ? { contentType: call.contentType } : {}),
    });
    const forbidden = res.status === 401 || res.status === 403;
    if (forbidden !== (expected === "forbidden")) wrong.push(`${call.what}: HTTP ${res.status} ${String(res.body["message"] ?? "")}`.trim());
  }
  return wrong;
}

describe("webhook e2e: RBAC of the manifests' ServiceAccounts", () => {
  let installed: Installed;
  const job = `rbac-${randomBytes(4).toString("hex")}`;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
    const { api } = installed.env;
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: TOKEN_SECRET }, stringData: { BUILDKITE_AGENT_TOKEN: "e2e" } };
    const res = await api.request("POST", `/api/v1/namespaces/${DISPATCHER.namespace}/secrets`, { body: secret });
    if (res.status !== 201 && res.status !== 409) throw new Error(`cannot create the token Secret: HTTP ${res.status} ${res.text}`);
  });

  after(async () => {
    if (installed) await installed.env.api.remove(`${jobsPath(DISPATCHER.namespace)}/${job}`);
  });

  it("lets the dispatcher make every call it makes, in its namespace", async () => {
    const ns = DISPATCHER.namespace;
    const calls: Call[] = [
      { what: "create jobs", method: "POST", path: jobsPath(ns), body: bareJob({ namespace: ns, name: job }) },
      { what: "get jobs", method: "GET", path: `${jobsPath(ns)}/${job}` },
      { what: "list jobs", method: "GET", path: `${jobsPath(ns)}?labelSelector=buildkite.com%2Fjob-uuid&limit=500` },
      { what: "watch jobs", method: "GET", path: `${jobsPath(ns)}?watch=1&timeoutSeconds=1` },
      { what: "patch jobs (expire)", method: "PATCH", path: `${jobsPath(ns)}/${job}`, body: { spec: { activeDeadlineSeconds: 1 } }, contentType: "application/merge-patch+json" },
      { what: "list pods", method: "GET", path: `${podsPath(ns)}?labelSelector=buildkite.com%2Fjob-uuid&limit=500` },
      { what: "watch pods", method: "GET", path: `${podsPath(ns)}?watch=1&timeoutSeconds=1` },
      { what: "delete pods (none there: 404)", method: "DELETE", path: `${podsPath(ns)}/no-such-pod` },
      { what: "get podtemplates (none there: 404)", method: "GET", path: `${podTemplatesPath(ns)}/no-such-template` },
      { what: "get the token secret", method: "GET", path: `/api/v1/namespaces/${ns}/secrets/${TOKEN_SECRET}` },
      { what: "list events", method: "GET", path: `${eventsPath(ns)}?fieldSelector=involvedObject.kind%3DJob%2CinvolvedObject.name%3D${job}` },
      { what: "delete jobs", method: "DELETE", path: `${jobsPath(ns)}/${job}`, body: { propagationPolicy: "Background", gracePeriodSeconds: 0 } },
    ];
    expect(await unexpected(installed.env.api, DISPATCHER, calls, "allowed")).to.deep.equal([]);
  });

  it("refuses the dispatcher everything else sampled", async () => {
    const ns = DISPATCHER.namespace;
    const calls: Call[] = [
      { what: "list secrets cluster-wide", method: "GET", path: "/api/v1/secrets" },
      { what: "list secrets in its namespace", method: "GET", path: `/api/v1/namespaces/${ns}/secrets` },
      { what: "get another secret in its namespace", method: "GET", path: `/api/v1/namespaces/${ns}/secrets/other` },
      { what: "get a secret in kube-system", method: "GET", path: "/api/v1/namespaces/kube-system/secrets/anything" },
      { what: "watch its token secret", method: "GET", path: `/api/v1/namespaces/${ns}/secrets?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3D${TOKEN_SECRET}` },
      { what: "create pods in its namespace", method: "POST", path: podsPath(ns), body: pod(ns) },
      { what: "create pods in another namespace", method: "POST", path: podsPath("default"), body: pod("default") },
      { what: "list jobs in another namespace", method: "GET", path: jobsPath("default") },
      { what: "create jobs in another namespace", method: "POST", path: jobsPath("default"), body: bareJob({ namespace: "default", name: job }) },
      { what: "list mutatingwebhookconfigurations", method: "GET", path: MWC_PATH },
      { what: "patch mutatingwebhookconfigurations", method: "PATCH", path: `${MWC_PATH}/agentify`, body: { webhooks: [] }, contentType: "application/merge-patch+json" },
      { what: "delete mutatingwebhookconfigurations", method: "DELETE", path: `${MWC_PATH}/agentify` },
      { what: "patch its own Role", method: "PATCH", path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${DISPATCHER.name}`, body: { rules: [] }, contentType: "application/merge-patch+json" },
      { what: "create rolebindings", method: "POST", path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, body: { metadata: { name: "x" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" }, subjects: [] } },
      { what: "update configmaps", method: "PATCH", path: `/api/v1/namespaces/${ns}/configmaps/agentify-config`, body: { data: {} }, contentType: "application/merge-patch+json" },
      { what: "list namespaces", method: "GET", path: "/api/v1/namespaces" },
    ];
    expect(await unexpected(installed.env.api, DISPATCHER, calls, "forbidden")).to.deep.equal([]);
  });

  it("refuses the webhook's ServiceAccount every API call sampled", async () => {
    const ns = WEBHOOK.namespace;
    const calls: Call[] = [
      { what: "get its config map", method: "GET", path: `/api/v1/namespaces/${ns}/configmaps/agentify-config` },
      { what: "get its TLS secret", method: "GET", path: `/api/v1/namespaces/${ns}/secrets/agentify-webhook-tls` },
      { what: "list secrets cluster-wide", method: "GET", path: "/api/v1/secrets" },
      { what: "list pods in its namespace", method: "GET", path: podsPath(ns) },
      { what: "list jobs", method: "GET", path: jobsPath(DISPATCHER.namespace) },
      { what: "create jobs", method: "POST", path: jobsPath(DISPATCHER.namespace), body: bareJob({ namespace: DISPATCHER.namespace, name: job }) },
      { what: "get mutatingwebhookconfigurations", method: "GET", path: `${MWC_PATH}/agentify` },
      { what: "list namespaces", method: "GET", path: "/api/v1/namespaces" },
      { what: "list events", method: "GET", path: eventsPath(ns) },
    ];
    expect(await unexpected(installed.env.api, WEBHOOK, calls, "forbidden")).to.deep.equal([]);
  });

  it("gives the webhook's ServiceAccount no rule beyond those of a ServiceAccount without bindings", async () => {
    const { api } = installed.env;
    const rules = async (sa: { namespace: string; name: string }, namespace: string): Promise<string[]> => {
      const review = await api.ok("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
        body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace } },
        headers: serviceAccountHeaders(sa.namespace, sa.name),
      });
      const status = review["status"] as JsonObject;
      return [...(status["resourceRules"] as JsonObject[]), ...(status["nonResourceRules"] as JsonObject[])].map((r) => JSON.stringify(r)).sort();
    };
    const nobody = { namespace: WEBHOOK.namespace, name: "e2e-no-bindings" };
    for (const namespace of [WEBHOOK.namespace, DISPATCHER.namespace, "default"]) {
      expect(await rules(WEBHOOK, namespace), namespace).to.deep.equal(await rules(nobody, namespace));
    }
  });
});

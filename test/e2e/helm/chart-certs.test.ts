// The chart's self-managed certificates (the default) without a cluster: which hook objects render,
// in which phases and order, their least-privilege RBAC, the hook pods' hardening and placement,
// and that the webhook configuration carries no caBundle that lookup did not find.
import { expect } from "chai";
import { join } from "node:path";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { documents, find, helmBinary, template, VALUES_DIR } from "./helm.ts";

const MINIMAL = join(VALUES_DIR, "minimal.yaml");
const SECRET = "agentify-webhook-selfmanaged-tls";
const RBAC_EVENTS = "pre-install,pre-upgrade,pre-rollback,post-install,post-upgrade,post-rollback";
const meta = (d: JsonObject): JsonObject => d["metadata"] as JsonObject;
const annotations = (d: JsonObject): Record<string, string> => (meta(d)["annotations"] ?? {}) as Record<string, string>;
const podSpec = (d: JsonObject): JsonObject => ((d["spec"] as JsonObject)["template"] as JsonObject)["spec"] as JsonObject;
const firstContainer = (d: JsonObject): JsonObject => (podSpec(d)["containers"] as JsonObject[])[0] as JsonObject;

describe("helm chart charts/agentify: self-managed certificates", function () {
  this.timeout(120_000);
  let docs: JsonObject[];

  before(async function () {
    this.timeout(60 * 60_000); // the first build of helm from its module
    await helmBinary();
    const res = await template([MINIMAL], ["tolerations[0].key=dedicated", "tolerations[0].operator=Exists", "nodeSelector.pool=ci",
      "webhook.certs.selfManaged.env[0].name=HTTPS_PROXY", "webhook.certs.selfManaged.env[0].value=http://proxy:3128"]);
    expect(res.code, res.stderr).to.equal(0);
    docs = documents(res.stdout);
  });

  it("renders the hooks: RBAC first in both phases, ensure-secret before and inject-ca-bundle after", () => {
    const hooks = docs.filter((d) => annotations(d)["helm.sh/hook"] !== undefined)
      .map((d) => [d["kind"], meta(d)["name"], annotations(d)["helm.sh/hook"], annotations(d)["helm.sh/hook-weight"], annotations(d)["helm.sh/hook-delete-policy"]]);
    const policy = "before-hook-creation,hook-succeeded";
    expect(hooks).to.deep.equal([
      ["ServiceAccount", "agentify-certs", RBAC_EVENTS, "-10", policy],
      ["ClusterRole", "agentify-certs", RBAC_EVENTS, "-10", policy],
      ["ClusterRoleBinding", "agentify-certs", RBAC_EVENTS, "-10", policy],
      ["Role", "agentify-certs", RBAC_EVENTS, "-10", policy],
      ["RoleBinding", "agentify-certs", RBAC_EVENTS, "-10", policy],
      ["Job", "agentify-certs", "pre-install,pre-upgrade,pre-rollback", "0", policy],
      ["Job", "agentify-ca-bundle", "post-install,post-upgrade,post-rollback", "0", policy],
    ]);
  });

  it("grants the hook the TLS Secret and the chart's webhook configuration, nothing else", () => {
    expect(find(docs, "Role", "agentify-certs")["rules"]).to.deep.equal([
      { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: [SECRET], verbs: ["get", "update", "delete"] },
    ]);
    expect(find(docs, "ClusterRole", "agentify-certs")["rules"]).to.deep.equal([
      { apiGroups: ["admissionregistration.k8s.io"], resources: ["mutatingwebhookconfigurations"], resourceNames: ["agentify"], verbs: ["get", "patch"] },
    ]);
    const subject = [{ kind: "ServiceAccount", name: "agentify-certs", namespace: "buildkite" }];
    expect(find(docs, "RoleBinding", "agentify-certs")["subjects"]).to.deep.equal(subject);
    expect(find(docs, "ClusterRoleBinding", "agentify-certs")["subjects"]).to.deep.equal(subject);
    expect(find(docs, "ClusterRoleBinding", "agentify-certs")["roleRef"]).to.deep.equal({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "agentify-certs" });
  });

  it("runs ensure-secret for the Secret the webhook mounts and the Service it serves, inject-ca-bundle for the chart's configuration", () => {
    const webhook = find(docs, "Deployment", "agentify-webhook");
    const volume = (podSpec(webhook)["volumes"] as JsonObject[]).find((v) => v["name"] === "certs") as JsonObject;
    expect(volume["secret"]).to.deep.equal({ secretName: SECRET, defaultMode: 288, items: [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }] });
    const args = (name: string): string[] => firstContainer(find(docs, "Job", name))["args"] as string[];
    expect(args("agentify-certs")).to.deep.equal(["ensure-secret", "--namespace", "buildkite", "--secret", SECRET, "--service", "agentify-webhook",
      "--renew-before-days", "30", "--days", "365", "--ca-days", "3650",
      "--label", "app.kubernetes.io/name=agentify-webhook", "--label", "app.kubernetes.io/instance=agentify",
      "--label", "app.kubernetes.io/component=webhook", "--label", "app.kubernetes.io/part-of=agentify"]);
    expect(args("agentify-ca-bundle")).to.deep.equal(["inject-ca-bundle", "--namespace", "buildkite", "--secret", SECRET, "--webhook-configuration", "agentify"]);
    expect(find(docs, "Service", "agentify-webhook")).to.exist;
    // Helm owns no TLS Secret: the hook makes it.
    expect(docs.filter((d) => d["kind"] === "Secret").map((d) => meta(d)["name"])).to.deep.equal(["agentify-agent-token"]);
  });

  it("hook pods are hardened like the webhook's, placed by the values, and never agentified", () => {
    const webhook = find(docs, "Deployment", "agentify-webhook");
    for (const name of ["agentify-certs", "agentify-ca-bundle"]) {
      const job = find(docs, "Job", name);
      const spec = job["spec"] as JsonObject;
      expect([spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]], name).to.deep.equal([3, 300, 86400]);
      const pod = podSpec(job);
      expect(pod["securityContext"], name).to.deep.equal(podSpec(webhook)["securityContext"]);
      expect(firstContainer(job)["securityContext"], name).to.deep.equal(firstContainer(webhook)["securityContext"]);
      expect([pod["serviceAccountName"], pod["automountServiceAccountToken"], pod["restartPolicy"]], name).to.deep.equal(["agentify-certs", true, "Never"]);
      expect(pod["tolerations"], name).to.deep.equal([{ key: "dedicated", operator: "Exists" }]);
      expect(pod["nodeSelector"], name).to.deep.equal({ pool: "ci" });
      expect(firstContainer(job)["env"], name).to.deep.equal([
        { name: "NODE_COMPILE_CACHE", value: "/app/.cache/node-compile-cache" }, { name: "HTTPS_PROXY", value: "http://proxy:3128" },
      ]);
      expect(firstContainer(job)["image"], name).to.equal(firstContainer(webhook)["image"]);
      const labels = (((job["spec"] as JsonObject)["template"] as JsonObject)["metadata"] as JsonObject)["labels"] as Record<string, string>;
      expect(labels, name).to.not.have.property("buildkite.com/job-uuid");
    }
  });

  it("leaves caBundle out of the webhook configuration when lookup finds no Secret (helm template, a first install)", () => {
    const clientConfig = ((find(docs, "MutatingWebhookConfiguration", "agentify")["webhooks"] as JsonObject[])[0] as JsonObject)["clientConfig"] as JsonObject;
    expect(clientConfig).to.not.have.property("caBundle");
  });

  it("other sources render no hook at all", async () => {
    for (const file of ["full.yaml", "from-values.yaml"]) {
      const rendered = documents((await template([join(VALUES_DIR, file)])).stdout);
      expect(rendered.filter((d) => annotations(d)["helm.sh/hook"] !== undefined).map((d) => `${String(d["kind"])}/${String(meta(d)["name"])}`), file).to.deep.equal([]);
    }
  });
});

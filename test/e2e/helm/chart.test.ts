// charts/agentify without a cluster: `helm lint`, golden `helm template` output for the minimal, the
// full and the from-values values files (UPDATE_GOLDEN=1 rewrites them), the rendered config is a
// valid agentify config, bad values fail with exactly their message, and the pods, RBAC and webhook
// configuration are the ones manifests/base declares, so the two install paths cannot drift apart;
// the dispatcher's leader election as the values set it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { configFromObject } from "../../../webhook/core/config/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { CHART, documents, find, GOLDEN_DIR, helm, helmBinary, REPO, template, VALUES_DIR } from "./helm.ts";

const CASES = ["minimal", "full", "from-values"];
const valuesFile = (c: string): string => join(VALUES_DIR, `${c}.yaml`);
const manifests = (file: string): JsonObject[] => documents(readFileSync(join(REPO, "manifests", "base", file), "utf8"));
const podSpec = (deployment: JsonObject): JsonObject => ((deployment["spec"] as JsonObject)["template"] as JsonObject)["spec"] as JsonObject;
const container = (deployment: JsonObject): JsonObject => (podSpec(deployment)["containers"] as JsonObject[])[0] as JsonObject;

/** The dispatcher flags only the chart passes: the Lease's name follows the release, and the timing its values. */
const CHART_ELECTION_FLAGS = ["--leader-election-lease", "agentify-dispatcher", "--leader-election-lease-duration", "15",
  "--leader-election-renew-deadline", "10", "--leader-election-retry-period", "2"];
const isLeaseRule = (rule: JsonObject): boolean => (rule["apiGroups"] as string[]).includes("coordination.k8s.io");
/** A Role's rules with the agent token Secret's name (the chart's and the manifests' differ) as a placeholder. */
const tokenSecretAside = (role: JsonObject): JsonObject[] => (role["rules"] as JsonObject[]).map((r) =>
  (r["resources"] as string[]).includes("secrets") ? { ...r, resourceNames: ["<token secret>"] } : r);

/** The container fields the chart must carry as the manifests do (env values differ: Secret names). */
function comparable(c: JsonObject): JsonObject {
  const pick = ["name", "command", "args", "ports", "readinessProbe", "livenessProbe", "securityContext", "volumeMounts", "resources"];
  return { ...Object.fromEntries(pick.map((k) => [k, c[k]])), env: ((c["env"] ?? []) as JsonObject[]).map((e) => String(e["name"])) };
}

describe("helm chart charts/agentify", function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(60 * 60_000); // the first build of helm from its module
    await helmBinary();
  });

  for (const c of CASES) {
    it(`helm lint --strict passes with the ${c} values`, async () => {
      const res = await helm(["lint", CHART, "--strict", "--values", valuesFile(c)]);
      expect(res.code, res.stdout + res.stderr).to.equal(0);
      expect(res.stdout).to.include("1 chart(s) linted, 0 chart(s) failed");
    });

    it(`helm template with the ${c} values equals test/helm/golden/${c}.yaml`, async () => {
      const res = await template([valuesFile(c)]);
      expect(res.code, res.stderr).to.equal(0);
      const golden = join(GOLDEN_DIR, `${c}.yaml`);
      if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(golden, res.stdout);
      expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1`).to.equal(true);
      expect(res.stdout).to.equal(readFileSync(golden, "utf8"));
    });

    it(`the ${c} render's config file is a valid agentify config with the chart's namespace and Secret`, async () => {
      const docs = documents((await template([valuesFile(c)])).stdout);
      const configMap = docs.find((d) => d["kind"] === "ConfigMap") as JsonObject;
      const raw = parse(String((configMap["data"] as JsonObject)["config.yaml"])) as Record<string, unknown>;
      const config = configFromObject(raw, `${c} config.yaml`);
      expect(config.namespace).to.equal("buildkite");
      const values = parse(readFileSync(valuesFile(c), "utf8")) as { agentStackSecret?: string };
      const dispatcher = docs.find((d) => d["kind"] === "Deployment" && String((d["metadata"] as JsonObject)["name"]).endsWith("-dispatcher")) as JsonObject;
      const tokenRef = ((container(dispatcher)["env"] as JsonObject[]).find((e) => e["name"] === "BUILDKITE_AGENT_TOKEN") as { valueFrom: { secretKeyRef: { name: string } } });
      expect(config["agent-token-secret"]).to.equal(values.agentStackSecret ?? "agentify-agent-token");
      expect(tokenRef.valueFrom.secretKeyRef.name).to.equal(config["agent-token-secret"]);
    });
  }

  it("bad values fail with exactly their message, naming the value", async () => {
    const minimal = valuesFile("minimal");
    const fromValues = valuesFile("from-values");
    const cases: [string[], string[], string][] = [
      [[minimal], ["agentToken="], "agentToken (or agentStackSecret) is required"],
      [[minimal], ["webhook.certs.source=selfSigned"], 'webhook.certs.source must be selfManaged, values, existingSecret or certManager, not "selfSigned"'],
      [[minimal], ["webhook.certs.source="], 'webhook.certs.source must be selfManaged, values, existingSecret or certManager, not ""'],
      [[minimal], ["webhook.certs.source=values"], "webhook.certs.tlsCrt is required with webhook.certs.source=values (agentify certs generate)"],
      [[fromValues], ["webhook.certs.caBundle="], "webhook.certs.caBundle is required with webhook.certs.source=values (agentify certs ca-bundle)"],
      [[minimal], ["webhook.certs.source=existingSecret"], "webhook.certs.existingSecret is required with webhook.certs.source=existingSecret"],
      [[minimal], ["webhook.certs.selfManaged.renewBeforeDays=400"], "webhook.certs.selfManaged.renewBeforeDays (400) must be less than webhook.certs.selfManaged.days (365)"],
      [[minimal], ["config.prometheus-port=0"], "config.prometheus-port must be a port: the dispatcher's probes use /healthz and /readyz there"],
      [[minimal], ["leaderElection.enabled=false"], "replicas is 2: more than one dispatcher needs leaderElection.enabled=true, or two would reserve and create the same jobs"],
      [[minimal], ["leaderElection.renewDeadlineSeconds=20"], "leaderElection needs 0 < retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds, got 2, 20 and 15"],
      [[minimal], ["leaderElection.retryPeriodSeconds=0"], "leaderElection needs 0 < retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds, got 0, 10 and 15"],
    ];
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (const [files, set, message] of cases) {
      const res = await template(files, set);
      expect(res.code, set.join(" ")).to.equal(1);
      expect(res.stdout, set.join(" ")).to.equal("");
      // helm's own frame around the message, with the template position that failed.
      expect(res.stderr, set.join(" ")).to.match(new RegExp(`^Error: execution error at \\(agentify/templates/[a-z-]+\\.yaml:\\d+:\\d+\\): ${escape(message)}\n\nUse --debug flag to render out invalid YAML\n$`));
    }
  });

  it("the Deployments' containers are the manifests' (command, args, ports, probes, security, mounts, resources, env names)", async () => {
    const docs = documents((await template([valuesFile("minimal")])).stdout);
    const pairs: [string, string, string][] = [["webhook.yaml", "agentify-webhook", "agentify-webhook"], ["dispatcher.yaml", "agentify-dispatcher", "agentify-dispatcher"]];
    for (const [file, chartName, manifestName] of pairs) {
      const fromChart = find(docs, "Deployment", chartName);
      const fromManifests = find(manifests(file), "Deployment", manifestName);
      const expected = comparable(container(fromManifests));
      if (file === "dispatcher.yaml") expected["args"] = [...(expected["args"] as string[]), ...CHART_ELECTION_FLAGS];
      expect(comparable(container(fromChart)), chartName).to.deep.equal(expected);
      expect((fromChart["spec"] as JsonObject)["replicas"], `${chartName} replicas`).to.equal((fromManifests["spec"] as JsonObject)["replicas"]);
      for (const key of ["serviceAccountName", "automountServiceAccountToken", "enableServiceLinks", "terminationGracePeriodSeconds"]) {
        expect(podSpec(fromChart)[key], `${chartName} ${key}`).to.deep.equal(podSpec(fromManifests)[key]);
      }
      expect((fromChart["spec"] as JsonObject)["strategy"], chartName).to.deep.equal((fromManifests["spec"] as JsonObject)["strategy"]);
    }
  });

  it("the dispatcher's Role, the PodDisruptionBudget and the webhook entry are the manifests' (names aside)", async () => {
    const docs = documents((await template([valuesFile("minimal")])).stdout);
    expect(tokenSecretAside(find(docs, "Role", "agentify-dispatcher"))).to.deep.equal(tokenSecretAside(find(manifests("dispatcher.yaml"), "Role")));
    expect((find(docs, "PodDisruptionBudget")["spec"] as JsonObject)["minAvailable"]).to.equal((find(manifests("webhook.yaml"), "PodDisruptionBudget")["spec"] as JsonObject)["minAvailable"]);
    const entry = (d: JsonObject): JsonObject => {
      const w = { ...((d["webhooks"] as JsonObject[])[0] as JsonObject) };
      delete w["clientConfig"];
      delete w["namespaceSelector"];
      return w;
    };
    expect(entry(find(docs, "MutatingWebhookConfiguration"))).to.deep.equal(entry(find(manifests("webhook-configuration.yaml"), "MutatingWebhookConfiguration")));
  });

  it("replicas: 1 without leader election renders the single dispatcher: Recreate, no election flags, no POD_NAME, no Lease rules", async () => {
    const docs = documents((await template([valuesFile("from-values")])).stdout);
    const deployment = find(docs, "Deployment", "agentify-dispatcher");
    const manifest = find(manifests("dispatcher.yaml"), "Deployment", "agentify-dispatcher");
    expect((deployment["spec"] as JsonObject)["replicas"]).to.equal(1);
    // Never two dispatchers without a Lease between them, not even during a rollout.
    expect((deployment["spec"] as JsonObject)["strategy"]).to.deep.equal({ type: "Recreate" });
    expect(container(deployment)["args"]).to.deep.equal((container(manifest)["args"] as string[]).filter((a) => a !== "--leader-elect"));
    expect((container(deployment)["env"] as JsonObject[]).map((e) => e["name"])).to.deep.equal(["NODE_COMPILE_CACHE", "BUILDKITE_AGENT_TOKEN"]);
    expect(tokenSecretAside(find(docs, "Role", "agentify-dispatcher"))).to.deep.equal(tokenSecretAside({ rules: (find(manifests("dispatcher.yaml"), "Role")["rules"] as JsonObject[]).filter((r) => !isLeaseRule(r)) }));
  });

  it("the Lease is named after the release, in the flags and the Role alike, with the values' timing", async () => {
    const docs = documents((await template([valuesFile("minimal")], ["fullnameOverride=ci-agentify", "replicas=3",
      "leaderElection.leaseDurationSeconds=30", "leaderElection.renewDeadlineSeconds=20", "leaderElection.retryPeriodSeconds=5"])).stdout);
    const deployment = find(docs, "Deployment", "ci-agentify-dispatcher");
    expect((deployment["spec"] as JsonObject)["replicas"]).to.equal(3);
    expect(container(deployment)["args"]).to.deep.equal(["dispatcher", "--config", "/etc/agentify/config.yaml", "--leader-elect",
      "--leader-election-lease", "ci-agentify-dispatcher", "--leader-election-lease-duration", "30",
      "--leader-election-renew-deadline", "20", "--leader-election-retry-period", "5"]);
    expect((container(deployment)["env"] as JsonObject[]).find((e) => e["name"] === "POD_NAME")).to.deep.equal({ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    expect((find(docs, "Role", "ci-agentify-dispatcher")["rules"] as JsonObject[]).filter(isLeaseRule)).to.deep.equal([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["ci-agentify-dispatcher"], verbs: ["get", "update"] },
    ]);
  });
});

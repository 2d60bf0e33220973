// The install manifests: every YAML parses, and the properties that matter for safety
// (failure policy, selectors, least-privilege RBAC, pod hardening) hold. With a kubectl
// on PATH, the kustomizations are also built for real.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { registerDispatcher } from "../../../dispatcher/command.ts";
import { parseConfig } from "../../../webhook/core/config/index.ts";
import { caBundle, generateCa, issueServingCert, writeCertDir } from "../../../certs/index.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

type Doc = Record<string, unknown>;

/** The value at a dotted path ("spec.template.spec.containers.0.args"), or undefined. */
function at(value: unknown, path: string): unknown {
  let here = value;
  for (const key of path.split(".")) {
    if (here === null || typeof here !== "object") return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}

/** One key that may itself contain dots, such as a label or annotation name. */
function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
}

function list(value: unknown, what = "list"): unknown[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

/** The dispatcher's default --leader-election-lease. */
const LEASE_NAME = (() => {
  const program = new Command();
  registerDispatcher(program);
  const option = program.commands.find((c) => c.name() === "dispatcher")?.options.find((o) => o.long === "--leader-election-lease");
  return String(option?.defaultValue);
})();

const MANIFESTS = fileURLToPath(new URL("../../../manifests/", import.meta.url));
const FIXTURE_CLI = fileURLToPath(new URL("./fixtures/certs-cli.ts", import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

function parseDocs(text: string, source: string): Doc[] {
  return parseAllDocuments(text).flatMap((doc, index) => {
    assert.deepEqual(doc.errors.map(String), [], `${source} document ${index}`);
    const value: unknown = doc.toJS();
    return value === null ? [] : [value as Doc];
  });
}

function load(file: string): Doc[] {
  return parseDocs(readFileSync(join(MANIFESTS, file), "utf8"), file);
}

function find(docs: Doc[], kind: string, name: string, namespace?: string): Doc {
  const found = docs.filter((doc) => doc.kind === kind && at(doc, "metadata.name") === name
    && (namespace === undefined || at(doc, "metadata.namespace") === namespace));
  assert.equal(found.length, 1, `${kind} ${namespace ?? ""}/${name}`);
  return found[0] as Doc;
}

const base = ["base/namespaces.yaml", "base/webhook.yaml", "base/webhook-configuration.yaml", "base/dispatcher.yaml"].flatMap(load);

function assertHardened(podSpec: unknown, who: string): void {
  assert.equal(at(podSpec, "securityContext.runAsNonRoot"), true, who);
  assert.equal(at(podSpec, "securityContext.runAsUser"), 65532, who);
  assert.equal(at(podSpec, "securityContext.seccompProfile.type"), "RuntimeDefault", who);
  for (const container of list(at(podSpec, "containers"))) {
    const context = at(container, "securityContext");
    assert.equal(at(context, "runAsNonRoot"), true, who);
    assert.equal(at(context, "runAsUser"), 65532, who);
    assert.equal(at(context, "readOnlyRootFilesystem"), true, who);
    assert.equal(at(context, "allowPrivilegeEscalation"), false, who);
    assert.deepEqual(at(context, "capabilities"), { drop: ["ALL"] }, who);
    assert.equal(at(context, "seccompProfile.type"), "RuntimeDefault", who);
    for (const field of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]) {
      assert.ok(at(container, `resources.${field}`), `${who} resources.${field}`);
    }
    assert.equal(at(container, "image"), "agentify", `${who} image (set by kustomize images:)`);
  }
}

describe("manifests", () => {
  after(removeTempDirs);

  it("every YAML file under manifests/ parses", () => {
    const files = yamlFiles(MANIFESTS).map((path) => relative(MANIFESTS, path));
    assert.ok(files.length >= 12, files.join(", "));
    for (const file of files) assert.ok(load(file).length > 0, file);
  });

  it("namespaces: agentify-system (restricted) and buildkite", () => {
    const system = find(base, "Namespace", "agentify-system");
    assert.equal(field(at(system, "metadata.labels"), "pod-security.kubernetes.io/enforce"), "restricted");
    find(base, "Namespace", "buildkite");
  });

  it("MutatingWebhookConfiguration agentify: opt-in by label, Fail, CREATE jobs only", () => {
    const config = find(base, "MutatingWebhookConfiguration", "agentify");
    assert.deepEqual(config.webhooks, [{
      name: "jobs.agentify.buildkite.com",
      admissionReviewVersions: ["v1"],
      clientConfig: { service: { name: "agentify-webhook", namespace: "agentify-system", path: "/mutate/jobs", port: 443 } },
      rules: [{ apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], operations: ["CREATE"], scope: "Namespaced" }],
      objectSelector: { matchExpressions: [{ key: "buildkite.com/job-uuid", operator: "Exists" }] },
      namespaceSelector: {
        matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "agentify-system"] }],
      },
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 5,
      matchPolicy: "Equivalent",
      reinvocationPolicy: "IfNeeded",
    }]);
  });

  it("RBAC: the webhook has none; the dispatcher only what it uses, in buildkite", () => {
    assert.equal(find(base, "ServiceAccount", "agentify-webhook", "agentify-system").automountServiceAccountToken, false);
    assert.deepEqual(base.filter((doc) => /^Cluster/.test(String(doc.kind))), [], "no cluster-scoped RBAC");
    const subjects = base.filter((doc) => doc.kind === "RoleBinding").flatMap((binding) => list(binding.subjects))
      .map((subject) => `${String(at(subject, "namespace"))}/${String(at(subject, "name"))}`);
    assert.deepEqual(subjects, ["buildkite/agentify-dispatcher"]);
    const role = find(base, "Role", "agentify-dispatcher", "buildkite");
    assert.deepEqual(role.rules, [
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
      { apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["podtemplates"], verbs: ["get"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["buildkite-agent-token"], verbs: ["get"] },
      // Leader election: what the elector calls (dispatcher/leader/kube-lease.ts), on its Lease only.
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [LEASE_NAME], verbs: ["get", "update"] },
    ]);
    for (const rule of list(role.rules)) {
      for (const field of ["apiGroups", "resources", "verbs"]) assert.ok(!list(at(rule, field)).includes("*"), `no * in ${field}`);
      const resources = list(at(rule, "resources"));
      assert.ok(!resources.includes("pods/status"));
      if (resources.includes("secrets")) assert.deepEqual(at(rule, "verbs"), ["get"], "secrets: get by name only, no list/watch");
    }
  });

  it("webhook Deployment: 2 hardened replicas, spread, probed over HTTPS, certs and config mounted", () => {
    const deployment = find(base, "Deployment", "agentify-webhook", "agentify-system");
    const pod = at(deployment, "spec.template.spec");
    assert.equal(at(deployment, "spec.replicas"), 2);
    assert.equal(at(pod, "automountServiceAccountToken"), false);
    assert.equal(at(pod, "serviceAccountName"), "agentify-webhook");
    assertHardened(pod, "webhook");
    const term = at(pod, "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm");
    assert.equal(at(term, "topologyKey"), "kubernetes.io/hostname");
    assert.deepEqual(at(term, "labelSelector.matchLabels"), at(deployment, "spec.selector.matchLabels"));
    const container = at(pod, "containers.0");
    assert.deepEqual(at(container, "args"), [
      "webhook", "--config", "/etc/agentify/config.yaml", "--cert-dir", "/etc/agentify/certs", "--port", "8443", "--metrics-port", "9090",
    ]);
    assert.deepEqual(list(at(container, "ports")).map((port) => [at(port, "name"), at(port, "containerPort")]), [["https", 8443], ["metrics", 9090]]);
    assert.deepEqual(at(container, "readinessProbe.httpGet"), { path: "/readyz", port: "https", scheme: "HTTPS" });
    assert.deepEqual(at(container, "livenessProbe.httpGet"), { path: "/healthz", port: "https", scheme: "HTTPS" });
    assert.deepEqual(at(container, "volumeMounts"), [
      { name: "config", mountPath: "/etc/agentify", readOnly: true },
      { name: "certs", mountPath: "/etc/agentify/certs", readOnly: true },
    ]);
    assert.deepEqual(at(pod, "volumes"), [
      { name: "config", configMap: { name: "agentify-config" } },
      { name: "certs", secret: { secretName: "agentify-webhook-tls", defaultMode: 0o440 } },
    ]);
  });

  it("webhook Service and PodDisruptionBudget select the webhook pods", () => {
    const labels = at(find(base, "Deployment", "agentify-webhook"), "spec.template.metadata.labels");
    const service = find(base, "Service", "agentify-webhook", "agentify-system");
    assert.deepEqual(list(at(service, "spec.ports")).map((port) => [at(port, "name"), at(port, "port"), at(port, "targetPort")]),
      [["https", 443, "https"], ["metrics", 9090, "metrics"]]);
    const pdb = find(base, "PodDisruptionBudget", "agentify-webhook", "agentify-system");
    assert.equal(at(pdb, "spec.minAvailable"), 1);
    for (const selector of [at(service, "spec.selector"), at(pdb, "spec.selector.matchLabels")]) {
      assert.ok(selector && typeof selector === "object" && Object.keys(selector).length > 0);
      for (const [key, value] of Object.entries(selector)) assert.equal(field(labels, key), value);
    }
  });

  it("dispatcher Deployment: two hardened replicas under leader election, the token from the Secret", () => {
    const deployment = find(base, "Deployment", "agentify-dispatcher", "buildkite");
    const pod = at(deployment, "spec.template.spec");
    assert.equal(at(deployment, "spec.replicas"), 2);
    assert.equal(at(pod, "serviceAccountName"), "agentify-dispatcher");
    assertHardened(pod, "dispatcher");
    // --leader-elect with the default Lease name, the one the Role's resourceNames allow.
    assert.deepEqual(at(pod, "containers.0.args"), ["dispatcher", "--config", "/etc/agentify/config.yaml", "--leader-elect"]);
    assert.deepEqual(at(pod, "containers.0.ports"), [{ name: "metrics", containerPort: 9216, protocol: "TCP" }]);
    assert.deepEqual(at(pod, "containers.0.livenessProbe.httpGet"), { path: "/healthz", port: "metrics" });
    assert.deepEqual(at(pod, "containers.0.readinessProbe.httpGet"), { path: "/readyz", port: "metrics" });
    assert.deepEqual(at(pod, "containers.0.env"), [
      { name: "NODE_COMPILE_CACHE", value: "/app/.cache/node-compile-cache" },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "BUILDKITE_AGENT_TOKEN", valueFrom: { secretKeyRef: { name: "buildkite-agent-token", key: "BUILDKITE_AGENT_TOKEN" } } },
    ]);
  });

  it("the default config is valid and agrees with the Secret, the Role and the namespace", () => {
    const config = parseConfig(readFileSync(join(MANIFESTS, "base/agentify-config.yaml"), "utf8"), "agentify-config.yaml");
    assert.equal(config.namespace, "buildkite");
    assert.equal(config["agent-token-secret"], "buildkite-agent-token");
    assert.equal(config["max-in-flight"], 25);
    assert.equal(config["job-ttl"], 600);
    assert.equal(config["prometheus-port"], 9216, "the dispatcher's probes need its HTTP endpoints");
    const secret = find(load("agent-token-secret.example.yaml"), "Secret", config["agent-token-secret"], config.namespace);
    assert.deepEqual(Object.keys(secret.stringData as object), ["BUILDKITE_AGENT_TOKEN"]);
    const kustomization = load("base/kustomization.yaml")[0];
    assert.ok(!list(at(kustomization, "resources")).some((file) => /secret/.test(String(file))), "the token template is never applied");
    assert.deepEqual(list(at(kustomization, "configMapGenerator")).map((g) => [at(g, "name"), at(g, "namespace"), at(g, "files")]), [
      ["agentify-config", "agentify-system", ["config.yaml=agentify-config.yaml"]],
      ["agentify-config", "buildkite", ["config.yaml=agentify-config.yaml"]],
    ]);
  });

  it("cert-manager overlay: the Certificate feeds the TLS Secret and the injected caBundle", () => {
    const docs = load("overlays/cert-manager/certificates.yaml");
    const serving = find(docs, "Certificate", "agentify-webhook", "agentify-system");
    assert.equal(at(serving, "spec.secretName"), "agentify-webhook-tls");
    assert.ok(list(at(serving, "spec.dnsNames")).includes("agentify-webhook.agentify-system.svc"));
    assert.ok(list(at(serving, "spec.usages")).includes("server auth"));
    assert.equal(at(find(docs, "Certificate", "agentify-ca"), "spec.isCA"), true);
    const patch = load("overlays/cert-manager/inject-ca.patch.yaml")[0];
    assert.equal(field(at(patch, "metadata.annotations"), "cert-manager.io/inject-ca-from"), "agentify-system/agentify-webhook");
  });

  describe("built with kubectl kustomize", function () {
    before(function () {
      if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0) this.skip();
    });

    function build(dir: string): Doc[] {
      return parseDocs(execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" }), dir);
    }

    function caBundleOf(docs: Doc[]): unknown {
      return at(find(docs, "MutatingWebhookConfiguration", "agentify"), "webhooks.0.clientConfig.caBundle");
    }

    it("the base builds, with the config in both namespaces and the image set", () => {
      const docs = build(MANIFESTS);
      for (const namespace of ["agentify-system", "buildkite"]) {
        const data = at(find(docs, "ConfigMap", "agentify-config", namespace), "data");
        assert.equal(field(data, "config.yaml"), readFileSync(join(MANIFESTS, "base/agentify-config.yaml"), "utf8"));
      }
      for (const deployment of docs.filter((doc) => doc.kind === "Deployment")) {
        assert.equal(at(deployment, "spec.template.spec.containers.0.image"), "agentify:0.1.0");
      }
      assert.equal(caBundleOf(docs), undefined);
    });

    it("the cert-manager overlay builds with the inject-ca-from annotation", () => {
      const docs = build(join(MANIFESTS, "overlays/cert-manager"));
      const annotations = at(find(docs, "MutatingWebhookConfiguration", "agentify"), "metadata.annotations");
      assert.equal(field(annotations, "cert-manager.io/inject-ca-from"), "agentify-system/agentify-webhook");
      find(docs, "Certificate", "agentify-webhook", "agentify-system");
    });

    it("set-ca-bundle.sh puts the CA of a cert dir into the local-ca overlay", () => {
      const copy = join(tempDir(), "manifests");
      cpSync(MANIFESTS, copy, { recursive: true });
      const certDir = join(tempDir(), "certs");
      const ca = generateCa();
      writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify-webhook", namespace: "agentify-system" }) });
      execFileSync("sh", [join(copy, "set-ca-bundle.sh"), certDir], {
        env: { ...process.env, AGENTIFY: `${process.execPath} ${FIXTURE_CLI}` }, stdio: "pipe",
      });
      assert.equal(caBundleOf(build(join(copy, "overlays/local-ca"))), caBundle(certDir));
      // Unfilled, the committed placeholder is not base64, so an apply fails loudly.
      assert.doesNotMatch(String(caBundleOf(build(join(MANIFESTS, "overlays/local-ca")))), /^[A-Za-z0-9+/]*=*$/);
    });
  });
});

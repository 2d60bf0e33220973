// The install test's kustomize overlay over manifests/base, written into a temp dir. It changes
// what a user changes and nothing else, plus one thing only this test cluster needs:
//   - the image: the locally built one, by a tag unique to its digest (imported, never pulled);
//   - the node's toleration on both Deployments (the test node is tainted);
//   - Secrets agentify-webhook-tls (from `agentify certs`) and buildkite-agent-token;
//   - the webhook's caBundle;
//   - the config: the stand-in's endpoint, the test queue, the node's agent image;
//   - test cluster only: the dispatcher reaches the apiserver at `kubernetes.default.svc` through a
//     relay on the node's host address (no kube-proxy here; see relay.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse, stringify } from "yaml";
import { NODE_TOLERATION } from "../../cluster/harness.ts";

export const MANIFESTS_BASE = join(import.meta.dirname, "..", "..", "..", "manifests", "base");
/** The in-cluster client's server name: one of the names in the test apiserver's certificate. */
export const APISERVER_NAME = "kubernetes.default.svc";

export interface OverlayInputs {
  /** repository:tag */
  image: string;
  caBundle: string;
  tls: { cert: string; key: string };
  agentToken: string;
  /** Config keys over manifests/base/agentify-config.yaml. */
  config: Record<string, unknown>;
  /** Where pods reach the apiserver (the relay). */
  apiserver: { ip: string; port: number };
}

/** The config the install runs with: the base file's keys, then the test's. */
export function installConfig(over: Record<string, unknown>): Record<string, unknown> {
  const base = parse(readFileSync(join(MANIFESTS_BASE, "agentify-config.yaml"), "utf8")) as Record<string, unknown>;
  return { ...base, ...over };
}

export function overlayKustomization(dir: string, o: OverlayInputs): string {
  const at = o.image.lastIndexOf(":");
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [relative(dir, MANIFESTS_BASE)],
    images: [{ name: "agentify", newName: o.image.slice(0, at), newTag: o.image.slice(at + 1) }],
    configMapGenerator: ["agentify-system", "buildkite"].map((namespace) => ({
      name: "agentify-config", namespace, behavior: "replace", files: ["config.yaml=config.yaml"],
    })),
    secretGenerator: [
      { name: "agentify-webhook-tls", namespace: "agentify-system", type: "kubernetes.io/tls", files: ["tls.crt", "tls.key"] },
      { name: "buildkite-agent-token", namespace: "buildkite", literals: [`BUILDKITE_AGENT_TOKEN=${o.agentToken}`] },
    ],
    // The Deployments and the Role name these Secrets exactly.
    generatorOptions: { disableNameSuffixHash: true },
    patches: [
      {
        target: { group: "admissionregistration.k8s.io", version: "v1", kind: "MutatingWebhookConfiguration", name: "agentify" },
        patch: stringify([{ op: "add", path: "/webhooks/0/clientConfig/caBundle", value: o.caBundle }]),
      },
      {
        target: { group: "apps", version: "v1", kind: "Deployment" },
        patch: stringify([{ op: "add", path: "/spec/template/spec/tolerations", value: [NODE_TOLERATION] }]),
      },
      {
        target: { group: "apps", version: "v1", kind: "Deployment", name: "agentify-dispatcher" },
        patch: stringify([
          { op: "add", path: "/spec/template/spec/hostAliases", value: [{ ip: o.apiserver.ip, hostnames: [APISERVER_NAME] }] },
          { op: "add", path: "/spec/template/spec/containers/0/env/-", value: { name: "KUBERNETES_SERVICE_HOST", value: APISERVER_NAME } },
          { op: "add", path: "/spec/template/spec/containers/0/env/-", value: { name: "KUBERNETES_SERVICE_PORT", value: String(o.apiserver.port) } },
        ]),
      },
    ],
  };
  return stringify(kustomization);
}

/** Writes kustomization.yaml and the files its generators read. */
export function writeOverlay(dir: string, o: OverlayInputs): void {
  writeFileSync(join(dir, "kustomization.yaml"), overlayKustomization(dir, o));
  writeFileSync(join(dir, "config.yaml"), stringify(o.config));
  writeFileSync(join(dir, "tls.crt"), o.tls.cert);
  writeFileSync(join(dir, "tls.key"), o.tls.key, { mode: 0o600 });
}

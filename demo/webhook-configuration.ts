// The objects the demo applies: the jobs namespace, the agent token Secret and a
// MutatingWebhookConfiguration pointing at the local webhook by URL.
import { stringify } from "yaml";

export function webhookConfiguration(url: string, caBundle: string, namespace: string, token: string): string {
  const docs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "buildkite-agent-token", namespace },
      stringData: { BUILDKITE_AGENT_TOKEN: token },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "agentify-demo" },
      webhooks: [
        {
          name: "jobs.agentify.buildkite.com",
          clientConfig: { url, caBundle },
          rules: [{ apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], operations: ["CREATE"] }],
          objectSelector: { matchExpressions: [{ key: "buildkite.com/job-uuid", operator: "Exists" }] },
          failurePolicy: "Fail",
          sideEffects: "None",
          timeoutSeconds: 5,
          admissionReviewVersions: ["v1"],
          reinvocationPolicy: "IfNeeded",
          matchPolicy: "Equivalent",
        },
      ],
    },
  ];
  return docs.map((d) => stringify(d)).join("---\n");
}

// The request body both servers are measured with: an AdmissionReview for a typical
// dispatcher Job (3 command containers, 20 env vars in all).
export const BENCH_JOB_UUID = "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b";

function env(prefix: string, count: number): { name: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}_${i}`, value: `value-${i}-${"x".repeat(16)}` }));
}

/** `labelled: false` drops the job-uuid label: the webhook then answers without agentifying. */
export function typicalJobReview(labelled = true): string {
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      generateName: "buildkite-",
      namespace: "ci",
      labels: labelled ? { "buildkite.com/job-uuid": BENCH_JOB_UUID, "tag.buildkite.com/queue": "default" } : { "tag.buildkite.com/queue": "default" },
      annotations: { "buildkite.com/agent-query-rules": '["queue=default"]' },
    },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [
            { name: "build", image: "golang:1.26", command: ["make", "build"], env: env("BUILD", 10) },
            { name: "lint", image: "golangci/golangci-lint:v2", command: ["golangci-lint", "run"], env: env("LINT", 5) },
            { name: "test", image: "golang:1.26", command: ["go", "test", "./..."], env: env("TEST", 5) },
          ],
        },
      },
    },
  };
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "batch", version: "v1", kind: "Job" },
      resource: { group: "batch", version: "v1", resource: "jobs" },
      requestKind: { group: "batch", version: "v1", kind: "Job" },
      requestResource: { group: "batch", version: "v1", resource: "jobs" },
      namespace: "ci",
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:buildkite:dispatcher" },
      object: job,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
    },
  });
}

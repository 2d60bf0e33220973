// `agentify certs ensure-secret` and `inject-ca-bundle` through commander: flags checked before
// any call, the exact errors, and a round trip against a fake apiserver given by --kubeconfig.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeApiserver } from "./fake-apiserver.ts";
import { agentify, NAMESPACE, removeTempDirs, SERVICE, tempDir } from "./helpers.ts";

const SECRET = "agentify-webhook-selfmanaged-tls";
const ENSURE = ["certs", "ensure-secret", "--namespace", NAMESPACE, "--secret", SECRET, "--service", SERVICE];
const INJECT = ["certs", "inject-ca-bundle", "--namespace", NAMESPACE, "--secret", SECRET, "--webhook-configuration", "agentify"];

describe("certs: the ensure-secret and inject-ca-bundle commands", function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it("rejects missing and bad flags with the usage, before any call", async () => {
    const cases: Array<[string[], string, string]> = [
      [["certs", "ensure-secret", "--secret", SECRET, "--service", SERVICE], "ensure-secret", "error: required option '--namespace <ns>' not specified"],
      [["certs", "ensure-secret", "--namespace", NAMESPACE, "--secret", SECRET], "ensure-secret", "error: required option '--service <name>' not specified"],
      [["certs", "ensure-secret", "--namespace", NAMESPACE, "--service", SERVICE], "ensure-secret", "error: required option '--secret <name>' not specified"],
      [[...ENSURE.slice(0, 3), "Bad_NS", ...ENSURE.slice(4)], "ensure-secret", "error: option '--namespace <ns>' argument 'Bad_NS' is invalid. Expected a DNS label (lower case, at most 63 characters)."],
      [[...ENSURE, "--secret", "*.tls"], "ensure-secret", "error: option '--secret <name>' argument '*.tls' is invalid. Expected a Kubernetes object name (a lower-case DNS subdomain)."],
      [[...ENSURE, "--label", "team"], "ensure-secret", "error: option '--label <key=value>' argument 'team' is invalid. Expected key=value with a Kubernetes label key and value."],
      [[...ENSURE, "--label", "team=a b"], "ensure-secret", "error: option '--label <key=value>' argument 'team=a b' is invalid. Expected key=value with a Kubernetes label key and value."],
      [[...ENSURE, "--renew-before-days", "0"], "ensure-secret", "error: option '--renew-before-days <n>' argument '0' is invalid. Expected a whole number of days, at least 1."],
      [["certs", "inject-ca-bundle", "--namespace", NAMESPACE, "--secret", SECRET], "inject-ca-bundle", "error: required option '--webhook-configuration <name>' not specified"],
    ];
    for (const [args, command, message] of cases) {
      const run = await agentify(...args);
      assert.equal(run.exitCode, 1, args.join(" "));
      assert.equal(run.stdout, "");
      assert.ok(run.stderr.startsWith(`${message}\n\nUsage: agentify certs ${command} [options]\n`), run.stderr);
    }
  });

  it("reports an unreadable kubeconfig and a refused threshold as one line", async () => {
    const missing = join(tempDir(), "missing");
    assert.deepEqual(await agentify(...ENSURE, "--kubeconfig", missing), {
      stdout: "", stderr: `error: ${missing}: cannot read kubeconfig: ENOENT: no such file or directory, open '${missing}'\n`, exitCode: 1,
    });
    assert.deepEqual(await agentify(...INJECT, "--kubeconfig", missing), {
      stdout: "", stderr: `error: ${missing}: cannot read kubeconfig: ENOENT: no such file or directory, open '${missing}'\n`, exitCode: 1,
    });
    const api = new FakeApiserver();
    const kubeconfig = api.writeKubeconfig(tempDir(), await api.start());
    try {
      assert.deepEqual(await agentify(...ENSURE, "--kubeconfig", kubeconfig, "--days", "20"), {
        stdout: "", stderr: "error: --renew-before-days (30) must be less than --days (20), or every run would re-issue\n", exitCode: 1,
      });
      assert.deepEqual(api.calls, []);
    } finally {
      await api.stop();
    }
  });

  it("outside a pod without a kubeconfig, says how to give one", async () => {
    const saved = { KUBECONFIG: process.env["KUBECONFIG"], HOME: process.env["HOME"], KUBERNETES_SERVICE_HOST: process.env["KUBERNETES_SERVICE_HOST"] };
    process.env["HOME"] = tempDir();
    delete process.env["KUBECONFIG"];
    delete process.env["KUBERNETES_SERVICE_HOST"];
    try {
      assert.deepEqual(await agentify(...ENSURE), {
        stdout: "", stderr: "error: no kubeconfig: pass --kubeconfig, set KUBECONFIG or ~/.kube/config, or run in a pod (KUBERNETES_SERVICE_HOST is not set)\n", exitCode: 1,
      });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("creates, keeps and injects through --kubeconfig, one line each", async () => {
    const api = new FakeApiserver();
    const kubeconfig = api.writeKubeconfig(tempDir(), await api.start());
    api.putWebhookConfiguration({ metadata: { name: "agentify" }, webhooks: [{ name: "jobs.agentify.buildkite.com", clientConfig: {} }] });
    try {
      const created = await agentify(...ENSURE, "--label", "app.kubernetes.io/instance=ci", "--kubeconfig", kubeconfig);
      assert.equal(created.stderr, "");
      assert.match(created.stdout, new RegExp(`^created Secret ${NAMESPACE}/${SECRET} with a new CA \\(serial [0-9a-f]+, valid until \\S+\\) and serving certificate \\(serial [0-9a-f]+, valid until \\S+\\): the Secret does not exist\\n$`));
      assert.deepEqual(api.secrets.get(`${NAMESPACE}/${SECRET}`)?.metadata.labels, { "app.kubernetes.io/instance": "ci" });
      const kept = await agentify(...ENSURE, "--kubeconfig", kubeconfig);
      assert.match(kept.stdout, /^kept Secret .*, more than 30 days from now\n$/);
      const injected = await agentify(...INJECT, "--kubeconfig", kubeconfig);
      assert.equal(injected.stderr, "");
      assert.match(injected.stdout, /^set the caBundle of MutatingWebhookConfiguration agentify \(jobs.agentify.buildkite.com\) to the CA of Secret /);
      assert.ok(api.webhookConfigurations.get("agentify")?.webhooks?.[0]?.clientConfig?.caBundle);
    } finally {
      await api.stop();
    }
  });

  it("describes every flag in --help", async () => {
    const help = {
      "ensure-secret": ["--namespace <ns>", "--secret <name>", "--service <name>", "--renew-before-days <n>", "--days <n>", "--ca-days <n>", "--label <key=value>", "--kubeconfig <file>"],
      "inject-ca-bundle": ["--namespace <ns>", "--secret <name>", "--webhook-configuration <name>", "--kubeconfig <file>"],
    };
    for (const [command, flags] of Object.entries(help)) {
      const run = await agentify("certs", command, "--help");
      assert.equal(run.exitCode, 0);
      for (const flag of flags) assert.match(run.stdout, new RegExp(`^  ${flag.replace(/[<>]/g, "\\$&")} +\\S`, "m"), `${command} ${flag}`);
    }
  });
});

// `agentify certs ensure-secret` and `agentify certs inject-ca-bundle`: the self-managed
// certificates of the Helm chart's hook Jobs, run in the cluster with the pod's service account
// (or --kubeconfig). ensure-secret runs before install and upgrade, inject-ca-bundle after.
import { InvalidArgumentError, type Command } from "commander";
import { parseDays, run, write } from "./cli.ts";
import { ensureSecret, injectCaBundle, type KubeRequester } from "./cluster.ts";
import { CertError } from "./errors.ts";
import { DEFAULT_CA_DAYS, DEFAULT_SERVING_DAYS } from "./issue.ts";
import { isDnsLabel, isDnsName } from "./names.ts";

export const DEFAULT_RENEW_BEFORE_DAYS = 30;

interface ConnectionOptions {
  kubeconfig?: string;
}
interface EnsureOptions extends ConnectionOptions {
  namespace: string;
  secret: string;
  service: string;
  renewBeforeDays: number;
  days: number;
  caDays: number;
  label?: Array<[string, string]>;
}
interface InjectOptions extends ConnectionOptions {
  namespace: string;
  secret: string;
  webhookConfiguration: string;
}

export function registerClusterCerts(certs: Command): void {
  certs
    .command("ensure-secret")
    .description(
      "Make sure the kubernetes.io/tls Secret holds a CA (ca.crt, ca.key) and a serving certificate for the Service (tls.crt, tls.key): " +
      "create both if it is missing or unusable, re-issue the serving certificate from the same CA when it expires within --renew-before-days, else change nothing",
    )
    .requiredOption("--namespace <ns>", "namespace of the Secret and of the webhook Service", parseLabel)
    .requiredOption("--secret <name>", "name of the kubernetes.io/tls Secret", parseName)
    .requiredOption("--service <name>", "name of the webhook Service; the cert covers NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local", parseLabel)
    .option("--renew-before-days <n>", "renew what expires within this many days", parseDays, DEFAULT_RENEW_BEFORE_DAYS)
    .option("--days <n>", "serving certificate lifetime in days", parseDays, DEFAULT_SERVING_DAYS)
    .option("--ca-days <n>", "CA certificate lifetime in days (a new CA only)", parseDays, DEFAULT_CA_DAYS)
    .option("--label <key=value>", "label for a Secret this creates (repeatable)", collectLabel)
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the pod's service account)")
    .action((opts: EnsureOptions, cmd: Command) => run(cmd, () => withKube(opts, async (kube) => {
      const line = await ensureSecret(kube, {
        namespace: opts.namespace, secret: opts.secret, service: opts.service,
        renewBeforeDays: opts.renewBeforeDays, days: opts.days, caDays: opts.caDays,
        labels: Object.fromEntries(opts.label ?? []),
      });
      write(cmd, `${line}\n`);
    })));

  certs
    .command("inject-ca-bundle")
    .description(
      "Copy the Secret's ca.crt into every webhook's clientConfig.caBundle of the MutatingWebhookConfiguration, " +
      "and make that configuration the Secret's owner, so that deleting it deletes the Secret too",
    )
    .requiredOption("--namespace <ns>", "namespace of the Secret", parseLabel)
    .requiredOption("--secret <name>", "name of the Secret holding ca.crt", parseName)
    .requiredOption("--webhook-configuration <name>", "name of the MutatingWebhookConfiguration", parseName)
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the pod's service account)")
    .action((opts: InjectOptions, cmd: Command) => run(cmd, () => withKube(opts, async (kube) => {
      const line = await injectCaBundle(kube, { namespace: opts.namespace, secret: opts.secret, webhookConfiguration: opts.webhookConfiguration });
      write(cmd, `${line}\n`);
    })));
}

/** The lean client of dispatcher/kube, loaded only by these two subcommands. */
async function withKube(opts: ConnectionOptions, use: (kube: KubeRequester) => Promise<void>): Promise<void> {
  const [{ loadKubeConnection, KubeconfigError }, { KubeHttp }] = await Promise.all([
    import("../dispatcher/kube/kubeconfig.ts"), import("../dispatcher/kube/http.ts"),
  ]);
  let kube: InstanceType<typeof KubeHttp>;
  try {
    kube = new KubeHttp(loadKubeConnection(opts.kubeconfig), { maxSockets: 2 });
  } catch (err) {
    if (err instanceof KubeconfigError) throw new CertError(err.message);
    throw err;
  }
  try {
    await use(kube);
  } finally {
    kube.close();
  }
}

function parseLabel(value: string): string {
  if (!isDnsLabel(value)) throw new InvalidArgumentError("Expected a DNS label (lower case, at most 63 characters).");
  return value;
}

function parseName(value: string): string {
  if (value.startsWith("*") || !isDnsName(value)) throw new InvalidArgumentError("Expected a Kubernetes object name (a lower-case DNS subdomain).");
  return value;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function collectLabel(value: string, previous: Array<[string, string]> | undefined): Array<[string, string]> {
  const eq = value.indexOf("=");
  const key = eq < 0 ? "" : value.slice(0, eq);
  const text = eq < 0 ? "" : value.slice(eq + 1);
  if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(text)) throw new InvalidArgumentError("Expected key=value with a Kubernetes label key and value.");
  return [...(previous ?? []), [key, text]];
}

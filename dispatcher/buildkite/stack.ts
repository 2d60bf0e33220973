// Who we are on Buildkite: the agent token (environment first, else the Kubernetes Secret), the
// token's identity (cluster tokens only), and the stack we register for our queue.
import type { Logger } from "pino";
import type { RegisterStackResponse, StacksClient, TokenIdentity } from "../api/index.ts";

export const TOKEN_ENV = "BUILDKITE_AGENT_TOKEN";
export const TOKEN_SECRET_KEY = "BUILDKITE_AGENT_TOKEN";

export class UnclusteredTokenError extends Error {
  constructor() {
    super("Detected an unclustered agent token: agentify needs a cluster agent token (bkct_…), created under your cluster's Agent Tokens " +
      "(https://buildkite.com/organizations/~/clusters). Unclustered tokens cannot use the stacks API.");
    this.name = "UnclusteredTokenError";
  }
}

export interface TokenSources {
  env: NodeJS.ProcessEnv;
  secretName: string;
  namespace: string;
  readSecretKey(name: string, key: string): Promise<string | undefined>;
}

/** BUILDKITE_AGENT_TOKEN from the environment, else key BUILDKITE_AGENT_TOKEN of Secret `agent-token-secret`. */
export async function resolveToken(sources: TokenSources): Promise<{ token: string; from: string }> {
  const fromEnv = sources.env[TOKEN_ENV]?.trim();
  if (fromEnv) return { token: fromEnv, from: `environment variable ${TOKEN_ENV}` };
  let value: string | undefined;
  try {
    value = await sources.readSecretKey(sources.secretName, TOKEN_SECRET_KEY);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Error(`no agent token: ${TOKEN_ENV} is not set and Secret ${sources.namespace}/${sources.secretName} cannot be read (${reason})`, { cause: err });
  }
  if (!value?.trim()) throw new Error(`no agent token: ${TOKEN_ENV} is not set and Secret ${sources.namespace}/${sources.secretName} has no key ${TOKEN_SECRET_KEY}`);
  return { token: value.trim(), from: `Secret ${sources.namespace}/${sources.secretName}` };
}

export async function checkTokenIdentity(client: StacksClient, logger: Logger): Promise<TokenIdentity> {
  const identity = (await client.getTokenIdentity()).body;
  if (!identity.cluster_uuid) throw new UnclusteredTokenError();
  logger.info({ organization: identity.organization_slug, cluster: identity.cluster_name, clusterUuid: identity.cluster_uuid }, "agent token identified");
  return identity;
}

export async function registerStack(client: StacksClient, req: { key: string; queueKey: string }, logger: Logger): Promise<RegisterStackResponse> {
  const res = await client.registerStack({ key: req.key, type: "custom", queue_key: req.queueKey, metadata: { controller: "agentify" } });
  logger.info({ stackKey: res.body.key, queueKey: res.body.cluster_queue_key, state: res.body.state, created: res.status === 201 }, "stack registered");
  return res.body;
}

/** Best effort within `timeoutMs` (frees the stack quota on Buildkite). */
export async function deregisterStack(client: StacksClient, key: string, timeoutMs: number, logger: Logger): Promise<boolean> {
  try {
    await client.deregisterStack(key, { timeoutMs, maxAttempts: 1, signal: AbortSignal.timeout(timeoutMs) });
    logger.info({ stackKey: key }, "stack deregistered");
    return true;
  } catch (err) {
    logger.warn({ err, stackKey: key }, "could not deregister the stack");
    return false;
  }
}

// What an in-process webhook has answered so far, read from its own metrics registry.
import type { WebhookServer } from "../../../../webhook/server/server.ts";

/** agentify_webhook_admissions_total as { "result/reason": count }, zero series left out. */
export async function admissionCounts(webhook: WebhookServer): Promise<Record<string, number>> {
  const metric = webhook.metrics.registry.getSingleMetric("agentify_webhook_admissions_total");
  if (!metric) throw new Error("agentify_webhook_admissions_total is not registered");
  const counts: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    if (v.value !== 0) counts[`${String(v.labels["result"])}/${String(v.labels["reason"])}`] = v.value;
  }
  return counts;
}

/** counts in `after` minus `before`, zero differences left out. */
export function countDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0);
    if (d !== 0) delta[key] = d;
  }
  return delta;
}

// The Kubernetes events of a Job and its pods, as a table for a finish detail: this is how
// "error looking up service account", quota refusals and scheduling failures reach Buildkite.
import type { CoreV1Event } from "@kubernetes/client-node";
import { millis } from "../kube/facts.ts";
import { renderTable } from "./table.ts";

export const NO_EVENTS = "Events: none";

export interface EventSource {
  listEvents(kind: string, name: string): Promise<CoreV1Event[]>;
}

/** "Events: none" when there are none, "Events: unavailable (…)" when they cannot be read. */
export async function eventsTable(source: EventSource, objects: readonly { kind: string; name: string }[]): Promise<string> {
  try {
    const lists = await Promise.all(objects.map((o) => source.listEvents(o.kind, o.name)));
    const events = lists.flat().sort((a, b) => (lastSeen(a) ?? 0) - (lastSeen(b) ?? 0)).slice(-15);
    if (events.length === 0) return NO_EVENTS;
    const rows = events.map((e) => [
      new Date(lastSeen(e) ?? 0).toISOString(),
      String(e.count ?? 1),
      e.type ?? "",
      e.reason ?? "",
      `${e.involvedObject?.kind ?? ""}/${e.involvedObject?.name ?? ""}`,
      e.message ?? "",
    ]);
    return `Events:\n${renderTable(["LAST SEEN", "COUNT", "TYPE", "REASON", "OBJECT", "MESSAGE"], rows, 120)}`;
  } catch (err) {
    return `Events: unavailable (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
  }
}

function lastSeen(e: CoreV1Event): number | undefined {
  return millis(e.lastTimestamp) ?? millis(e.eventTime) ?? millis(e.firstTimestamp) ?? millis(e.metadata?.creationTimestamp);
}

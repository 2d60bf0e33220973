// POST .../notifications: per-item validation with partial success, following the
// documented constraints. Error strings not shown in the docs are our wording.
import type { JobStore } from "./job-store.ts";

export const MAX_NOTIFICATIONS_PER_REQUEST = 1000;
export const MAX_NOTIFICATIONS_PER_JOB = 100;
export const MAX_NOTIFICATION_DETAIL_CHARS = 256;
export const NOTIFY_AFTER_FINISH_WINDOW_MS = 300_000;
/** Client and stand-in clocks differ (tests inject one); tolerate this much "future". */
const FUTURE_SKEW_MS = 5_000;

export interface NotificationError {
  error: string;
  indexes: number[];
}

/** Stores the valid notifications; returns the documented `errors` array (empty if all stored). */
export function createNotifications(store: JobStore, items: unknown[], now: number): NotificationError[] {
  const byMessage = new Map<string, number[]>();
  items.forEach((item, index) => {
    const problem = storeOne(store, item, now);
    if (problem === null) return;
    const indexes = byMessage.get(problem) ?? [];
    indexes.push(index);
    byMessage.set(problem, indexes);
  });
  return [...byMessage].map(([error, indexes]) => ({ error, indexes }));
}

function storeOne(store: JobStore, item: unknown, now: number): string | null {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return "notification must be an object";
  const { job_uuid: jobUuid, detail, timestamp } = item as Record<string, unknown>;
  if (typeof jobUuid !== "string" || jobUuid === "") return "job_uuid is required";
  if (typeof detail !== "string" || detail === "") return "detail is required";
  if ([...detail].length > MAX_NOTIFICATION_DETAIL_CHARS) {
    return `detail is too long (maximum is ${MAX_NOTIFICATION_DETAIL_CHARS} characters)`;
  }
  const job = store.get(jobUuid);
  if (!job) return "job not found";
  let at = now;
  if (timestamp !== undefined && timestamp !== null) {
    if (typeof timestamp !== "string" || Number.isNaN(Date.parse(timestamp))) return "timestamp is invalid";
    at = Date.parse(timestamp);
    if (at > now + FUTURE_SKEW_MS) return "timestamp cannot be in the future";
    if (at < job.createdAt) return "timestamp cannot be before the job was created";
  }
  if (job.finishedAt !== null && now - job.finishedAt > NOTIFY_AFTER_FINISH_WINDOW_MS) {
    return "job finished more than 300 seconds ago";
  }
  if (job.notifications.length >= MAX_NOTIFICATIONS_PER_JOB) return "job stack notification count exceeded";
  job.notifications.push({ detail, timestamp: new Date(at).toISOString(), receivedAt: now });
  return null;
}

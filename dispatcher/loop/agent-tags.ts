// Which scheduled jobs this dispatcher may take: the stack's queue and agent tags, and the job's
// agent query rules matched against them with agent-stack-k8s's semantics (the job's tags must
// be a subset of ours; `*` matches any value; `resource_class` picks a resource class, it is
// not matched).
import { isDefaultQueue, splitTag, stackTagMap } from "../../webhook/core/job/tags.ts";

export { isDefaultQueue, splitTag };

/** What the Go client sends as `queue_key` for the cluster's default queue. */
export const DEFAULT_QUEUE_KEY = "_default";
const UNMATCHED_TAGS = new Set(["resource_class"]);

export interface StackTags {
  /** The queue's key, or "" for the cluster's default queue. */
  queue: string;
  /** Our tags; `queue` is present exactly when the queue is not the default one. */
  tags: ReadonlyMap<string, string>;
}

/**
 * Config `queue` wins over a `queue=` tag; neither means the default queue. The same tags are
 * what the webhook gives the agent of a Job without agent query rules.
 */
export function stackTags(config: { queue: string; tags: readonly string[] }): StackTags {
  const tags = stackTagMap(config);
  return { queue: tags.get("queue") ?? "", tags };
}

export function queueKeyFor(stack: StackTags): string {
  return stack.queue === "" ? DEFAULT_QUEUE_KEY : stack.queue;
}

/**
 * The job's rules as the agent will carry them: on the default queue any `queue=` rule is
 * dropped (default-queue jobs may or may not name it); otherwise `queue=` is set to our queue,
 * which is the one the job was listed from.
 */
export function normaliseJobRules(rules: readonly string[], stack: StackTags): string[] {
  const others = rules.filter((rule) => !rule.startsWith("queue="));
  return stack.queue === "" ? others : [`queue=${stack.queue}`, ...others];
}

export type TagMatch = { matched: true } | { matched: false; reason: string };

export function matchJobTags(rules: readonly string[], tags: ReadonlyMap<string, string>): TagMatch {
  for (const rule of rules) {
    const pair = splitTag(rule);
    if (!pair) return { matched: false, reason: `malformed agent query rule ${JSON.stringify(rule)}` };
    const [key, value] = pair;
    if (UNMATCHED_TAGS.has(key)) continue;
    const ours = tags.get(key);
    if (ours === undefined) return { matched: false, reason: `this stack has no ${key} tag (job wants ${rule})` };
    if (value !== "*" && value !== ours) return { matched: false, reason: `job wants ${rule}, this stack has ${key}=${ours}` };
  }
  return { matched: true };
}

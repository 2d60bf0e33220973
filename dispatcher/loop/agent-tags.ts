// Which scheduled jobs this dispatcher may take: the stack's queue and agent tags, and the job's
// agent query rules matched against them with agent-stack-k8s's semantics (the job's tags must
// be a subset of ours; `*` matches any value; `resource_class` picks a resource class, it is
// not matched).

/** What the Go client sends as `queue_key` for the cluster's default queue. */
export const DEFAULT_QUEUE_KEY = "_default";
const DEFAULT_QUEUE_ALIASES = new Set(["", "_default", "__default__", "~", "-"]);
const UNMATCHED_TAGS = new Set(["resource_class"]);

export function isDefaultQueue(queue: string): boolean {
  return DEFAULT_QUEUE_ALIASES.has(queue);
}

export interface StackTags {
  /** The queue's key, or "" for the cluster's default queue. */
  queue: string;
  /** Our tags; `queue` is present exactly when the queue is not the default one. */
  tags: ReadonlyMap<string, string>;
}

/** `k=v` → [k, v]; `a=b=c` keeps `b=c` as the value. */
export function splitTag(tag: string): [string, string] | undefined {
  const at = tag.indexOf("=");
  if (at <= 0) return undefined;
  return [tag.slice(0, at), tag.slice(at + 1)];
}

/** Config `queue` wins over a `queue=` tag; neither means the default queue. */
export function stackTags(config: { queue: string; tags: readonly string[] }): StackTags {
  const tags = new Map<string, string>();
  for (const tag of config.tags) {
    const pair = splitTag(tag);
    if (!pair) throw new Error(`invalid tag ${JSON.stringify(tag)}: expected key=value`);
    tags.set(pair[0], pair[1]);
  }
  const wanted = config.queue || tags.get("queue") || "";
  const queue = isDefaultQueue(wanted) ? "" : wanted;
  if (queue === "") tags.delete("queue");
  else tags.set("queue", queue);
  return { queue, tags };
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

// Why an input cannot be agentified. `reason` is a short, bounded token (safe as a
// metric label); `message` is the sentence shown to kubectl users and Buildkite.
export const DENIAL_REASONS = [
  "invalid-uuid",
  "invalid-job",
  "no-containers",
  "missing-command",
  "invalid-plugin",
  "invalid-annotation",
  "forbidden-patch",
  "invalid-patch",
  "duplicate-container",
  "reserved-name",
  "resource-class",
  "invalid-image",
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

export class AgentifyError extends Error {
  readonly reason: DenialReason;
  constructor(reason: DenialReason, message: string) {
    super(message);
    this.name = "AgentifyError";
    this.reason = reason;
  }
}

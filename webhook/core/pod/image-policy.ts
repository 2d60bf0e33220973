// Pull policies as agent-stack-k8s picks them: digest-pinned images need no re-pull.
import type { Config } from "../config/index.ts";

export function isDigestPinned(image: string): boolean {
  return image.includes("@sha256:") || image.includes("@sha512:");
}

export function defaultPullPolicy(config: Config, image: string): string {
  return config["default-image-pull-policy"] || (isDigestPinned(image) ? "IfNotPresent" : "Always");
}

export function agentImagePullPolicy(config: Config): string {
  return defaultPullPolicy(config, config.image);
}

export const PULL_RANK: Record<string, number> = { Always: 3, IfNotPresent: 2, Never: 1 };

// Checkout, command and sidecar params: the same shapes serve as controller defaults
// (`default-*-params`) and as the step's kubernetes plugin fields, as in agent-stack-k8s.
import { v } from "../validation/index.ts";
import type { Output } from "../validation/index.ts";

/** Any Kubernetes object we pass through untouched; its own validation is the apiserver's. */
export const kubeObject = v.record(v.string(), v.unknown());
export const volumeMount = v.looseObject({ name: v.string().min(1), mountPath: v.string().min(1) });
export const volume = v.looseObject({ name: v.string().min(1) });
export const envFromSource = kubeObject;

export const interposer = v.enum(["buildkite", "vector", "legacy", ""]);

export const gitMirrors = v.strictObject({
  path: v.string().optional(),
  volume: volume.optional(),
  cloneFlags: v.string().optional(),
  lockTimeout: v.int().nonnegative().optional(),
  skipUpdate: v.boolean().optional(),
});

export const checkoutParams = v.strictObject({
  skip: v.boolean().optional(),
  cleanFlags: v.string().optional(),
  cloneFlags: v.string().optional(),
  fetchFlags: v.string().optional(),
  checkoutFlags: v.string().optional(),
  noSubmodules: v.boolean().optional(),
  submoduleCloneConfig: v.array(v.string()).optional(),
  gitMirrors: gitMirrors.optional(),
  gitCredentialsSecret: v.looseObject({ secretName: v.string().min(1) }).optional(),
  envFrom: v.array(envFromSource).optional(),
  extraVolumeMounts: v.array(volumeMount).optional(),
});

export const commandParams = v.strictObject({
  interposer: interposer.optional(),
  envFrom: v.array(envFromSource).optional(),
  extraVolumeMounts: v.array(volumeMount).optional(),
});

export const sidecarParams = v.strictObject({
  envFrom: v.array(envFromSource).optional(),
  extraVolumeMounts: v.array(volumeMount).optional(),
});

export const metadataParams = v.strictObject({
  labels: v.record(v.string(), v.string()).optional(),
  annotations: v.record(v.string(), v.string()).optional(),
});

export type CheckoutParams = Output<typeof checkoutParams>;
export type CommandParams = Output<typeof commandParams>;
export type SidecarParams = Output<typeof sidecarParams>;
export type MetadataParams = Output<typeof metadataParams>;
export type Interposer = Output<typeof interposer>;

// Checkout, command and sidecar params: the same shapes serve as controller defaults
// (`default-*-params`) and as the step's kubernetes plugin fields, as in agent-stack-k8s.
import { z } from "zod";

/** Any Kubernetes object we pass through untouched; its own validation is the apiserver's. */
export const kubeObject = z.record(z.string(), z.unknown());
export const volumeMount = z.looseObject({ name: z.string().min(1), mountPath: z.string().min(1) });
export const volume = z.looseObject({ name: z.string().min(1) });
export const envFromSource = kubeObject;

export const interposer = z.enum(["buildkite", "vector", "legacy", ""]);

export const gitMirrors = z.strictObject({
  path: z.string().optional(),
  volume: volume.optional(),
  cloneFlags: z.string().optional(),
  lockTimeout: z.int().nonnegative().optional(),
  skipUpdate: z.boolean().optional(),
});

export const checkoutParams = z.strictObject({
  skip: z.boolean().optional(),
  cleanFlags: z.string().optional(),
  cloneFlags: z.string().optional(),
  fetchFlags: z.string().optional(),
  checkoutFlags: z.string().optional(),
  noSubmodules: z.boolean().optional(),
  submoduleCloneConfig: z.array(z.string()).optional(),
  gitMirrors: gitMirrors.optional(),
  gitCredentialsSecret: z.looseObject({ secretName: z.string().min(1) }).optional(),
  envFrom: z.array(envFromSource).optional(),
  extraVolumeMounts: z.array(volumeMount).optional(),
});

export const commandParams = z.strictObject({
  interposer: interposer.optional(),
  envFrom: z.array(envFromSource).optional(),
  extraVolumeMounts: z.array(volumeMount).optional(),
});

export const sidecarParams = z.strictObject({
  envFrom: z.array(envFromSource).optional(),
  extraVolumeMounts: z.array(volumeMount).optional(),
});

export const metadataParams = z.strictObject({
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export type CheckoutParams = z.infer<typeof checkoutParams>;
export type CommandParams = z.infer<typeof commandParams>;
export type SidecarParams = z.infer<typeof sidecarParams>;
export type MetadataParams = z.infer<typeof metadataParams>;
export type Interposer = z.infer<typeof interposer>;

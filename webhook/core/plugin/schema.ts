// The step's kubernetes plugin configuration, as the dispatcher copies it into the
// `buildkite.com/kubernetes-plugin` annotation. Field names are the plugin's own.
import { v } from "../validation/index.ts";
import type { Output } from "../validation/index.ts";
import {
  checkoutParams, commandParams, envFromSource, kubeObject, metadataParams, sidecarParams, volumeMount,
} from "../config/params.ts";

const container = v.looseObject({
  name: v.string().optional(),
  image: v.string().min(1),
  command: v.array(v.string()).optional(),
  args: v.array(v.string()).optional(),
});

export const kubernetesPluginSchema = v.strictObject({
  // Already applied by the dispatcher when it built the bare Job; accepted and ignored here.
  podSpec: kubeObject.optional(),
  podTemplate: v.string().optional(),
  podSpecPatch: kubeObject.optional(),
  gitEnvFrom: v.array(envFromSource).optional(),
  sidecars: v.array(container).optional(),
  metadata: metadataParams.optional(),
  extraVolumeMounts: v.array(volumeMount).optional(),
  checkout: checkoutParams.optional(),
  commandParams: commandParams.optional(),
  sidecarParams: sidecarParams.optional(),
  jobActiveDeadlineSeconds: v.int().nonnegative().optional(),
});

export type KubernetesPlugin = Output<typeof kubernetesPluginSchema>;

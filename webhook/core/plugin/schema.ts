// The step's kubernetes plugin configuration, as the dispatcher copies it into the
// `buildkite.com/kubernetes-plugin` annotation. Field names are the plugin's own.
import { z } from "zod";
import {
  checkoutParams, commandParams, envFromSource, kubeObject, metadataParams, sidecarParams, volumeMount,
} from "../config/params.ts";

const container = z.looseObject({
  name: z.string().optional(),
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
});

export const kubernetesPluginSchema = z.strictObject({
  // Already applied by the dispatcher when it built the bare Job; accepted and ignored here.
  podSpec: kubeObject.optional(),
  podTemplate: z.string().optional(),
  podSpecPatch: kubeObject.optional(),
  gitEnvFrom: z.array(envFromSource).optional(),
  sidecars: z.array(container).optional(),
  metadata: metadataParams.optional(),
  extraVolumeMounts: z.array(volumeMount).optional(),
  checkout: checkoutParams.optional(),
  commandParams: commandParams.optional(),
  sidecarParams: sidecarParams.optional(),
  jobActiveDeadlineSeconds: z.int().nonnegative().optional(),
});

export type KubernetesPlugin = z.output<typeof kubernetesPluginSchema>;

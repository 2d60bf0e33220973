// Plugin sidecars become native sidecars (init containers with restartPolicy Always): they
// start before the job, are not bootstrap clients, and stop when the pod's containers end.
import type { SidecarParams } from "../config/params.ts";
import type { Container, EnvFromSource, VolumeMount } from "../k8s.ts";
import { addEnvFrom, addMounts } from "../container-edit.ts";
import { cloneJson } from "../json.ts";

export interface SidecarContext {
  params: readonly (SidecarParams | undefined)[];
  sharedMounts: readonly VolumeMount[];
  gitEnvFrom: readonly EnvFromSource[] | undefined;
}

export function buildSidecars(inputs: readonly Record<string, unknown>[], ctx: SidecarContext): Container[] {
  return inputs.map((input, i) => {
    const sidecar = cloneJson(input) as Container;
    sidecar.name = sidecar.name || `sidecar-${i}`;
    for (const params of ctx.params) {
      addEnvFrom(sidecar, params?.envFrom);
      addMounts(sidecar, params?.extraVolumeMounts);
    }
    addMounts(sidecar, ctx.sharedMounts);
    addEnvFrom(sidecar, ctx.gitEnvFrom);
    sidecar.restartPolicy = "Always";
    return sidecar;
  });
}

// Checkout params: git settings go to the agent, which forwards them to the bootstraps;
// Kubernetes objects (mirror volume, envFrom, mounts) go onto the checkout container.
import type { CheckoutParams } from "../config/params.ts";
import type { Container, PodSpec } from "../k8s.ts";
import { addEnvFrom, addMounts, setEnvValue } from "../container-edit.ts";
import { cloneJson } from "../json.ts";

const DEFAULT_MIRRORS_PATH = "/buildkite/git-mirrors";

export function applyCheckoutParamsToAgent(agent: Container, params: CheckoutParams | undefined): void {
  if (!params) return;
  const strings: [string | undefined, string][] = [
    [params.checkoutFlags, "BUILDKITE_GIT_CHECKOUT_FLAGS"],
    [params.cleanFlags, "BUILDKITE_GIT_CLEAN_FLAGS"],
    [params.cloneFlags, "BUILDKITE_GIT_CLONE_FLAGS"],
    [params.fetchFlags, "BUILDKITE_GIT_FETCH_FLAGS"],
  ];
  for (const [value, name] of strings) if (value !== undefined) setEnvValue(agent, name, value);
  if (params.noSubmodules !== undefined) setEnvValue(agent, "BUILDKITE_NO_GIT_SUBMODULES", String(params.noSubmodules));
  if (params.submoduleCloneConfig?.length) {
    setEnvValue(agent, "BUILDKITE_GIT_SUBMODULE_CLONE_CONFIG", params.submoduleCloneConfig.join(","));
  }
  const mirrors = params.gitMirrors;
  if (!mirrors) return;
  const path = mirrors.path ?? (mirrors.volume ? DEFAULT_MIRRORS_PATH : undefined);
  if (path) setEnvValue(agent, "BUILDKITE_GIT_MIRRORS_PATH", path);
  if (mirrors.cloneFlags !== undefined) setEnvValue(agent, "BUILDKITE_GIT_CLONE_MIRROR_FLAGS", mirrors.cloneFlags);
  if (mirrors.lockTimeout) setEnvValue(agent, "BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT", String(mirrors.lockTimeout));
  if (mirrors.skipUpdate !== undefined) setEnvValue(agent, "BUILDKITE_GIT_MIRRORS_SKIP_UPDATE", String(mirrors.skipUpdate));
}

export function applyCheckoutParamsToCheckout(checkout: Container, spec: PodSpec, params: CheckoutParams | undefined): void {
  if (!params) return;
  const mirrorVolume = params.gitMirrors?.volume;
  if (mirrorVolume) {
    const volumes = (spec.volumes ??= []);
    if (!volumes.some((v) => v.name === mirrorVolume.name)) volumes.push(cloneJson(mirrorVolume));
    addMounts(checkout, [{ name: mirrorVolume.name, mountPath: params.gitMirrors?.path ?? DEFAULT_MIRRORS_PATH }]);
  }
  addEnvFrom(checkout, params.envFrom);
  addMounts(checkout, params.extraVolumeMounts);
}

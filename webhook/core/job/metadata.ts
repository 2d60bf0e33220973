// Job-level fields: labels, annotations and the Job spec fields that make a job run once.
import type { Config } from "../config/index.ts";
import type { Job } from "../k8s.ts";
import type { KubernetesPlugin } from "../plugin/parse.ts";
import {
  CONTROLLER_ID_LABEL, JOB_UUID_LABEL, jobName, PLUGIN_ANNOTATION, SAFE_TO_EVICT_ANNOTATION, SIDECAR_ANNOTATION_PREFIX,
} from "../names.ts";
import { tagLabels, type JobTags } from "./tags.ts";

export function applyJobMetadata(job: Job, config: Config, plugin: KubernetesPlugin, tags: JobTags, uuid: string): void {
  const meta = job.metadata;
  const defaults = config["default-metadata"];
  // Later sources win: defaults < plugin metadata < what the Job's creator set < forced labels.
  meta.annotations = {
    [SAFE_TO_EVICT_ANNOTATION]: "false",
    ...defaults.annotations,
    ...plugin.metadata?.annotations,
    ...meta.annotations,
  };
  meta.labels = {
    ...defaults.labels,
    ...plugin.metadata?.labels,
    ...meta.labels,
    ...tagLabels(tags),
    ...(config.id ? { [CONTROLLER_ID_LABEL]: config.id } : {}),
    [JOB_UUID_LABEL]: uuid,
  };
  if (!meta.name && !meta.generateName) meta.name = jobName(config["job-prefix"], uuid);

  const spec = job.spec;
  spec.backoffLimit = 0;
  spec.suspend = false;
  spec.ttlSecondsAfterFinished = config["job-ttl"];
  spec.activeDeadlineSeconds = plugin.jobActiveDeadlineSeconds || config["job-active-deadline-seconds"];
}

/** The pod gets the Job's labels and annotations, less the plugin config (large, and Job-only). */
export function copyMetadataToPod(job: Job): void {
  const template = job.spec.template;
  const annotations = { ...job.metadata.annotations };
  delete annotations[PLUGIN_ANNOTATION];
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, ...job.metadata.labels },
    annotations: { ...template.metadata?.annotations, ...annotations },
  };
}

export function annotateSidecars(job: Job, names: readonly string[]): void {
  names.forEach((name, i) => {
    (job.metadata.annotations ??= {})[`${SIDECAR_ANNOTATION_PREFIX}${i}`] = name;
  });
}

// Benchmark of the core: agentify + patchFor per Job, median µs, against a floor measured in the
// same run (structuredClone of the same Job: the least any copy-and-transform must cost).
import { performance } from "node:perf_hooks";
import { agentify, defaultConfig, patchFor, type JsonObject } from "../../webhook/core/index.ts";

function bareJob(containers: number, envVars: number): JsonObject {
  const uuid = "0192a7f0-0000-4000-8000-00000000beef";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `buildkite-${uuid}`, labels: { "buildkite.com/job-uuid": uuid } },
    spec: {
      suspend: true,
      template: {
        spec: {
          containers: Array.from({ length: containers }, (_, c) => ({
            name: `c${c}`,
            image: `registry.example.com/team/image-${c % 5}:1.${c}`,
            command: [`make target-${c}`],
            env: Array.from({ length: envVars }, (_, e) => ({ name: `VAR_${e}`, value: `value-${c}-${e}` })),
          })),
        },
      },
    },
  };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function measure(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn(); // warm-up: JIT and caches
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn();
    samples.push((performance.now() - start) * 1000);
  }
  return median(samples);
}

export interface CoreBenchResult {
  name: string;
  medianUs: number;
  floorUs: number;
  ratio: number;
  goalUs: number;
  pass: boolean;
}

export function runCoreBench(): CoreBenchResult[] {
  const config = defaultConfig();
  const cases = [
    { name: "typical (3 containers x 20 env)", job: bareJob(3, 20), iterations: 5000, goalUs: 100 },
    { name: "stress (50 containers x 200 env)", job: bareJob(50, 200), iterations: 200, goalUs: 5000 },
  ];
  return cases.map(({ name, job, iterations, goalUs }) => {
    const floorUs = measure(() => structuredClone(job), iterations);
    const medianUs = measure(() => patchFor(job, agentify(job, config)), iterations);
    return { name, medianUs, floorUs, ratio: medianUs / floorUs, goalUs, pass: medianUs <= goalUs };
  });
}

if (import.meta.main) {
  for (const r of runCoreBench()) {
    console.log(
      `core ${r.name}: agentify+patch ${r.medianUs.toFixed(1)} µs, floor (structuredClone) ${r.floorUs.toFixed(1)} µs, ` +
        `ratio ${r.ratio.toFixed(1)}x, goal <= ${r.goalUs} µs: ${r.pass ? "PASS" : "FAIL"}`,
    );
  }
}

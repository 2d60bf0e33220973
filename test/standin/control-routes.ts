// Test controls over HTTP under /_standin (not part of Buildkite's API, no auth,
// not recorded), for processes that cannot call the in-process handle: the CLI's
// users, a stub agent image in an e2e cluster, a shell script.
import express from "express";
import type { Request, Response, Router } from "express";
import type { FaultConfig } from "./faults.ts";
import type { StandinHandle } from "./server.ts";
import type { BuildSpec, StepSpec } from "./types.ts";

type JobAction = "acquire" | "accept" | "start" | "complete" | "cancel" | "mark-canceled";

export function controlRouter(handle: StandinHandle): Router {
  const router = express.Router();
  router.use(express.json({ limit: "10mb" }));
  const guarded = (fn: (req: Request, res: Response) => void) => (req: Request, res: Response) => {
    try {
      fn(req, res);
    } catch (err) {
      res.status(409).json({ message: err instanceof Error ? err.message : String(err) });
    }
  };

  router.get("/jobs", (_req, res) => void res.json(handle.jobs()));
  router.get("/calls", (_req, res) => void res.json(handle.calls()));
  router.get("/stacks", (_req, res) => void res.json(handle.stacks()));
  router.post("/builds", guarded((req, res) => {
    const { steps, build } = req.body as { steps?: StepSpec[]; build?: BuildSpec };
    if (!Array.isArray(steps)) throw new Error("body must be {steps: [...], build?: {...}}");
    res.status(201).json({ ids: handle.enqueueBuild(steps, build) });
  }));
  router.post("/jobs/:uuid/:action", guarded((req, res) => {
    const uuid = String(req.params.uuid);
    const action = String(req.params.action) as JobAction;
    const exitStatus = (req.body as { exit_status?: number } | undefined)?.exit_status;
    const actions: Record<JobAction, () => void> = {
      acquire: () => handle.acquire(uuid),
      accept: () => handle.accept(uuid),
      start: () => handle.start(uuid),
      complete: () => handle.complete(uuid, exitStatus ?? 0),
      cancel: () => handle.cancel(uuid),
      "mark-canceled": () => handle.markCanceled(uuid),
    };
    const run = actions[action];
    if (!run) throw new Error(`unknown action ${action}`);
    run();
    res.json(handle.job(uuid));
  }));
  router.put("/queues/:key/paused", guarded((req, res) => {
    const paused = (req.body as { paused?: unknown } | undefined)?.paused !== false;
    handle.pauseQueue(String(req.params.key), paused);
    res.json({ key: req.params.key, paused });
  }));
  // `{}` clears all faults (a JSON `null` body is not accepted by the parser).
  router.put("/faults", guarded((req, res) => {
    const config = req.body as FaultConfig | undefined;
    handle.setFaults(config && Object.keys(config).length > 0 ? config : null);
    res.json({ ok: true });
  }));
  return router;
}

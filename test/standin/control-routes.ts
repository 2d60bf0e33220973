// Test controls over HTTP under /_standin (not part of Buildkite's API, no auth,
// not recorded), for processes that cannot call the in-process handle: the CLI's
// users, a stub agent image in an e2e cluster, a shell script.
import express from "express";
import type { Request, Response, Router } from "express";
import type { FaultConfig, ScriptedFault } from "./faults.ts";
import type { RateLimitScope } from "./rate-limiter.ts";
import type { StandinHandle } from "./server.ts";
import type { BuildSpec, JobState, StepSpec } from "./types.ts";
import { JOB_STATES } from "./types.ts";

type JobAction = "acquire" | "accept" | "start" | "complete" | "cancel" | "mark-canceled" | "force-state";

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

  // Reads of one job answer 404 for an unknown UUID.
  const known = (fn: (uuid: string, req: Request, res: Response) => void) => (req: Request, res: Response) => {
    const uuid = String(req.params.uuid);
    if (!handle.job(uuid)) {
      res.status(404).json({ message: `no such job ${uuid}` });
      return;
    }
    fn(uuid, req, res);
  };

  router.get("/jobs", (_req, res) => void res.json(handle.jobs()));
  router.get("/calls", (_req, res) => void res.json(handle.calls()));
  router.get("/stacks", (_req, res) => void res.json(handle.stacks()));
  router.get("/agents", (_req, res) => void res.json(handle.agents()));
  router.get("/jobs/:uuid", known((uuid, _req, res) => void res.json(handle.job(uuid))));
  router.get("/jobs/:uuid/record", known((uuid, _req, res) => void res.json(handle.jobRecord(uuid))));
  router.get("/jobs/:uuid/meta-data", known((uuid, _req, res) => void res.json(handle.metaData(uuid))));
  // The log as text (`?plain=1`: without timestamps and colours); `?detail=1` gives its chunks,
  // duplicates and problems instead.
  router.get("/jobs/:uuid/log", known((uuid, req, res) => {
    if (req.query.detail !== undefined) res.json(handle.jobLogDetail(uuid));
    else res.type("text/plain; charset=utf-8").send(req.query.plain !== undefined ? handle.jobLogPlain(uuid) : handle.jobLog(uuid));
  }));
  router.post("/builds", guarded((req, res) => {
    const { steps, build } = req.body as { steps?: StepSpec[]; build?: BuildSpec };
    if (!Array.isArray(steps)) throw new Error("body must be {steps: [...], build?: {...}}");
    res.status(201).json({ ids: handle.enqueueBuild(steps, build) });
  }));
  router.post("/jobs/:uuid/:action", guarded((req, res) => {
    const uuid = String(req.params.uuid);
    const action = String(req.params.action) as JobAction;
    const body = req.body as { exit_status?: number; state?: string } | undefined;
    const exitStatus = body?.exit_status;
    const actions: Record<JobAction, () => void> = {
      acquire: () => handle.acquire(uuid),
      accept: () => handle.accept(uuid),
      start: () => handle.start(uuid),
      complete: () => handle.complete(uuid, exitStatus ?? 0),
      cancel: () => handle.cancel(uuid),
      "mark-canceled": () => handle.markCanceled(uuid),
      "force-state": () => {
        const to = body?.state;
        if (!JOB_STATES.includes(to as JobState)) throw new Error(`force-state needs {state} with one of ${JOB_STATES.join(", ")}`);
        handle.forceState(uuid, to as JobState);
      },
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
  // `{"limits": {...}}` sets limits per scope (the stacks defaults stay); `{"limits": false}` turns them off.
  router.put("/rate-limits", guarded((req, res) => {
    const limits = (req.body as { limits?: unknown } | undefined)?.limits;
    if (limits !== false && (typeof limits !== "object" || limits === null || Array.isArray(limits))) {
      throw new Error("body must be {limits: {scope: perSecond, ...}} or {limits: false}");
    }
    handle.setRateLimits(limits as Partial<Record<RateLimitScope, number>> | false);
    res.json({ ok: true });
  }));
  router.post("/faults/next", guarded((req, res) => {
    handle.failNext((req.body ?? {}) as ScriptedFault);
    res.json({ ok: true });
  }));
  // `{}` clears all faults (a JSON `null` body is not accepted by the parser).
  router.put("/faults", guarded((req, res) => {
    const config = req.body as FaultConfig | undefined;
    handle.setFaults(config && Object.keys(config).length > 0 ? config : null);
    res.json({ ok: true });
  }));
  return router;
}

// The HTTP glue for POST /mutate/jobs: read, decode, admit, answer, then audit and count.
// Whatever happens inside, the caller gets one well-formed AdmissionReview: an exception
// becomes `allowed: false`, code 500, never a dropped connection or a hung request.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Level, Logger } from "pino";
import type { Config, JsonValue } from "../core/index.ts";
import { admit } from "./admit.ts";
import type { Admission, AdmissionCore } from "./admit.ts";
import { writeAudit } from "./audit.ts";
import type { Redaction } from "./audit-patch.ts";
import { checkContentType, decodeReview, readBody } from "./decode.ts";
import type { TransportFailure } from "./decode.ts";
import { requestFacts } from "./gate.ts";
import type { RequestFacts } from "./gate.ts";
import type { WebhookMetrics } from "./metrics.ts";
import { answerFor, encodeAnswer, httpStatusFor, rejected, DEFAULT_API_VERSION } from "./response.ts";
import type { AdmissionApiVersion } from "./review.ts";

export interface AdmissionHandlerDeps {
  core: AdmissionCore;
  config: Config;
  redaction: Redaction;
  logger: Logger;
  /** Level at which the (redacted) patch is included in the audit line. */
  auditLevel: Level;
  metrics: WebhookMetrics;
  maxBodyBytes: number;
  /** Test hook, awaited before the core runs (e.g. to hold a request open during shutdown). */
  beforeAdmit?: () => Promise<void>;
  /** Called once, after the first review is answered and audited. */
  afterFirstReview?: () => void;
}

/** What is known about the review so far; an exception is answered with as much as was learnt. */
interface ReviewState {
  uid: string;
  apiVersion: AdmissionApiVersion;
  facts?: RequestFacts;
  object?: JsonValue;
}

function fromFailure(failure: TransportFailure, state: ReviewState): Admission {
  state.uid = failure.uid;
  state.apiVersion = failure.apiVersion;
  return { result: "error", reason: failure.reason, response: rejected(failure.uid, failure.code, failure.message), detail: failure.message };
}

async function review(req: IncomingMessage, deps: AdmissionHandlerDeps, state: ReviewState): Promise<Admission> {
  const badType = checkContentType(req.headers["content-type"]);
  if (badType !== undefined) return fromFailure(badType, state);
  const body = await readBody(req, deps.maxBodyBytes);
  if (!body.ok) return fromFailure(body, state);
  const decoded = decodeReview(body.body);
  if (!decoded.ok) return fromFailure(decoded, state);
  state.uid = decoded.uid;
  state.apiVersion = decoded.apiVersion;
  state.facts = requestFacts(decoded.request);
  state.object = decoded.request["object"];
  if (deps.beforeAdmit !== undefined) await deps.beforeAdmit();
  return admit(decoded, state.facts, deps.core, deps.config);
}

function internalError(err: unknown, state: ReviewState): Admission {
  const message = `internal error: ${err instanceof Error ? err.message : String(err)}`;
  return { result: "error", reason: "internal", response: rejected(state.uid, 500, message), detail: message };
}

function send(res: ServerResponse, status: number, body: Buffer, closeConnection: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": body.length };
  // The body may not have been read to the end; do not reuse the connection for the next request.
  if (closeConnection) headers["connection"] = "close";
  res.writeHead(status, headers).end(body);
}

async function serve(req: IncomingMessage, res: ServerResponse, deps: AdmissionHandlerDeps): Promise<void> {
  const started = performance.now();
  deps.metrics.inFlight.inc();
  const state: ReviewState = { uid: "", apiVersion: DEFAULT_API_VERSION };
  let admission: Admission;
  let error: unknown;
  try {
    admission = await review(req, deps, state);
  } catch (err) {
    error = err;
    admission = internalError(err, state);
  }
  try {
    const httpStatus = httpStatusFor(admission.response);
    send(res, httpStatus, encodeAnswer(answerFor(state.apiVersion, admission.response)), admission.reason === "too-large");
    const durationMs = performance.now() - started;
    deps.metrics.observeAdmission(admission.result, admission.reason, durationMs / 1000);
    writeAudit(deps.logger, deps.auditLevel, deps.redaction, deps.config, { uid: state.uid, facts: state.facts, object: state.object, admission, httpStatus, durationMs, error });
  } catch (err) {
    // Only reachable if logging or encoding itself fails; keep the process and the answer alive.
    deps.logger.error({ err, uid: state.uid }, "failed to finish admission review");
    if (!res.headersSent) res.writeHead(500).end();
  } finally {
    deps.metrics.inFlight.dec();
  }
}

export function createAdmissionHandler(deps: AdmissionHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  let first = deps.afterFirstReview;
  return (req, res) => {
    const served = serve(req, res, deps);
    if (first === undefined) return;
    const call = first;
    first = undefined;
    void served.then(call);
  };
}

// Transport decoding: content type, a size-capped body read, and the AdmissionReview envelope.
// Failures here are values, not exceptions, so every one becomes a well-formed answer.
import type { IncomingMessage } from "node:http";
import { isJsonObject } from "../core/json.ts";
import type { JsonObject } from "../core/index.ts";
import { ADMISSION_V1, isAdmissionApiVersion } from "./review.ts";
import type { AdmissionApiVersion } from "./review.ts";

/**
 * controller-runtime's limit: etcd's 1.5 MB object doubled for JSON (3 MB) for both `object`
 * and `oldObject`, plus 1 MB of envelope = 7 MiB.
 */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

/** Bounded reasons (they become metric labels). */
export type TransportFailureReason =
  | "unsupported-media-type"
  | "too-large"
  | "aborted"
  | "empty-body"
  | "invalid-json"
  | "invalid-review"
  | "missing-uid";

export interface TransportFailure {
  ok: false;
  code: number;
  reason: TransportFailureReason;
  message: string;
  /** The request's uid when it could be read, else "". */
  uid: string;
  apiVersion: AdmissionApiVersion;
}

export interface DecodedReview {
  ok: true;
  apiVersion: AdmissionApiVersion;
  uid: string;
  /** `request` as sent; its fields are read defensively by gate.ts. */
  request: JsonObject;
}

function failure(code: number, reason: TransportFailureReason, message: string, uid = "", apiVersion: AdmissionApiVersion = ADMISSION_V1): TransportFailure {
  return { ok: false, code, reason, message, uid, apiVersion };
}

/** The apiserver always sends `application/json`; parameters such as `charset=utf-8` are tolerated. */
export function checkContentType(header: string | undefined): TransportFailure | undefined {
  const mediaType = (header ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType === "application/json") return undefined;
  return failure(415, "unsupported-media-type", `contentType=${header ?? ""}, expected application/json`);
}

export type BodyResult = { ok: true; body: Buffer } | TransportFailure;

/**
 * Reads the body into memory up to `limit` bytes. Past the limit the rest is read and
 * discarded (up to `limit` more bytes), so an ordinary client that is still writing gets
 * the 413 answer instead of a reset connection; a body beyond twice the limit is answered
 * at once and the connection closed by the caller.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.removeListener("data", onData);
      resolve(result);
    };
    const tooLarge = (): TransportFailure => failure(413, "too-large", `request entity is too large; limit is ${limit} bytes`);
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) chunks.push(chunk);
      else if (received > 2 * limit) settle(tooLarge());
    };
    req.on("data", onData);
    req.once("end", () => settle(received > limit ? tooLarge() : { ok: true, body: Buffer.concat(chunks, received) }));
    req.once("error", () => settle(failure(400, "aborted", "request body could not be read")));
    req.once("close", () => settle(failure(400, "aborted", "request body could not be read")));
  });
}

function readUid(review: JsonObject): string {
  const request = review["request"];
  if (!isJsonObject(request)) return "";
  const uid = request["uid"];
  return typeof uid === "string" ? uid : "";
}

/** Parses the envelope only; `request.object` is left for the gate and the core. */
export function decodeReview(body: Buffer): DecodedReview | TransportFailure {
  if (body.length === 0) return failure(400, "empty-body", "request body is empty");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return failure(400, "invalid-json", "request body is not valid JSON");
  }
  if (!isJsonObject(parsed)) return failure(400, "invalid-review", "request body is not a JSON object");
  const review: JsonObject = parsed;
  const uid = readUid(review);
  const apiVersion = review["apiVersion"];
  if (!isAdmissionApiVersion(apiVersion)) {
    const got = JSON.stringify(apiVersion ?? null);
    return failure(400, "invalid-review", `unsupported apiVersion ${got}, expected admission.k8s.io/v1 or admission.k8s.io/v1beta1`, uid);
  }
  if (review["kind"] !== "AdmissionReview") {
    return failure(400, "invalid-review", `unsupported kind ${JSON.stringify(review["kind"] ?? null)}, expected AdmissionReview`, uid, apiVersion);
  }
  const request = review["request"];
  if (!isJsonObject(request)) return failure(400, "invalid-review", "AdmissionReview has no request", "", apiVersion);
  if (uid === "") return failure(400, "missing-uid", "AdmissionReview request has no uid", "", apiVersion);
  return { ok: true, apiVersion, uid, request };
}

// Text limits the server enforces, applied client-side so that a long message is
// cropped rather than rejected (as upstream does).

export const FINISH_DETAIL_MAX_BYTES = 4096;
export const FINISH_CROP_SUFFIX = "… (Message was cropped because it exceeded the max size)";
export const NOTIFICATION_DETAIL_MAX_CHARS = 256;
export const NOTIFICATION_CROP_SUFFIX = "… (cropped)";

/** Crops to at most 4096 UTF-8 bytes including the suffix, never splitting a character. */
export function cropFinishDetail(detail: string): string {
  if (Buffer.byteLength(detail, "utf8") <= FINISH_DETAIL_MAX_BYTES) return detail;
  const budget = FINISH_DETAIL_MAX_BYTES - Buffer.byteLength(FINISH_CROP_SUFFIX, "utf8");
  let used = 0;
  let kept = "";
  for (const char of detail) {
    const size = Buffer.byteLength(char, "utf8");
    if (used + size > budget) break;
    used += size;
    kept += char;
  }
  return kept + FINISH_CROP_SUFFIX;
}

/** Crops to at most 256 characters (code points) including the suffix. */
export function cropNotificationDetail(detail: string): string {
  const chars = [...detail];
  if (chars.length <= NOTIFICATION_DETAIL_MAX_CHARS) return detail;
  const keep = NOTIFICATION_DETAIL_MAX_CHARS - [...NOTIFICATION_CROP_SUFFIX].length;
  return chars.slice(0, keep).join("") + NOTIFICATION_CROP_SUFFIX;
}

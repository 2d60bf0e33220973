// Container image reference syntax (the distribution reference grammar), checked before the
// pod exists so that a typo fails the job with a precise message instead of an endless pull.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);

/** Images repeat from Job to Job (and within one: the agent image three times); bounded, as images come from users. */
const VALID_CACHE_LIMIT = 1024;
const valid = new Set<string>();

/** Why `image` is not a valid reference, or undefined when it is. */
export function imageRefProblem(image: string | undefined): string | undefined {
  if (image !== undefined && valid.has(image)) return undefined;
  const problem = checkImageRef(image);
  if (problem === undefined && image !== undefined) {
    if (valid.size >= VALID_CACHE_LIMIT) valid.clear();
    valid.add(image);
  }
  return problem;
}

function checkImageRef(image: string | undefined): string | undefined {
  if (image === undefined || image === "") return "image is empty";
  if (image.length > 4096) return "reference is too long";
  if (!REFERENCE.test(image)) return "invalid reference format";
  const name = image.split("@")[0]?.replace(/:[\w][\w.-]*$/, "") ?? "";
  if (name.length > 255) return "repository name must not be more than 255 characters";
  return undefined;
}

// An operational problem with certificates or their directory (missing file, bad flag
// value, mismatched key): the CLI prints `message` alone, without a stack trace.
export class CertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertError";
  }
}

/** An SLS error answer the sandbox gives: status, `errorCode`, `errorMessage`. */

/**
 * Thrown inside the sandbox to answer with an SLS error body. Messages never carry secrets.
 *
 * @example
 * ```ts
 * throw new SlsRejection(404, "LogStoreNotExist", `logstore ${name} does not exist`);
 * ```
 */
export class SlsRejection extends Error {
  override name = "SlsRejection";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

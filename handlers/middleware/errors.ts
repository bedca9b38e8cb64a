import { ProvisionerError } from "../../src/errors.ts";

/** The request body is larger than the route accepts (413). */
export class PayloadTooLargeError extends ProvisionerError {
  override name = "PayloadTooLargeError";
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`body: at most ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * The request body's media type is not one the route reads (415); `rule` says what it must be.
 * The header is named, its value never echoed.
 */
export class UnsupportedMediaTypeError extends ProvisionerError {
  override name = "UnsupportedMediaTypeError";
  readonly field = "content-type";
  readonly rule: string;
  /** The media type the route reads, for the reply's `Accept` header. */
  readonly accepted: string;
  constructor(rule: string, accepted: string) {
    super(`content-type: ${rule}`);
    this.rule = rule;
    this.accepted = accepted;
  }
}

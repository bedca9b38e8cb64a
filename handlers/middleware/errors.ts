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
 * The request body is not declared as JSON (415). Thrown, not returned, by the middleware that
 * checks it: a middy `before` that returns a reply skips every `after`, so the logger's keys
 * would not be reset, and the refusal would go unlogged.
 */
export class UnsupportedMediaTypeError extends ProvisionerError {
  override name = "UnsupportedMediaTypeError";
  readonly rule: string;
  constructor(rule: string) {
    super(`content-type: ${rule}`);
    this.rule = rule;
  }
}

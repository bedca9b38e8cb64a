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

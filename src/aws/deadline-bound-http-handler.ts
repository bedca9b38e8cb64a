import { NodeHttpHandler, type NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import { awsCallDeadline } from "./call-deadline.ts";
import { AwsCallDeadlineError } from "./errors.ts";

type HandleArgs = Parameters<NodeHttpHandler["handle"]>;
type HandleResult = ReturnType<NodeHttpHandler["handle"]>;

/** Options of {@link DeadlineBoundHttpHandler}: NodeHttpHandler's, plus where the deadline comes from. */
export interface DeadlineBoundHttpHandlerOptions extends NodeHttpHandlerOptions {
  /** The deadline (epoch ms) of the call being made; default: the invocation's ({@link awsCallDeadline}). */
  deadline?: () => number | undefined;
  now?: () => number;
}

/**
 * The AWS SDK's Node.js HTTP handler (connection and request timeouts per attempt) that also cuts
 * every attempt off at the invocation's deadline: a stalled DynamoDB, SQS or Secrets Manager call
 * cannot outlive the invocation's budget, whatever the per-attempt timeouts and the SDK's retries
 * would allow. Past the deadline an attempt is not started. Either way the call fails with
 * {@link AwsCallDeadlineError}, which the SDK does not retry.
 *
 * @example
 * ```ts
 * new DynamoDBClient({ requestHandler: new DeadlineBoundHttpHandler({ connectionTimeout: 2_000, requestTimeout: 5_000 }) });
 * ```
 */
export class DeadlineBoundHttpHandler extends NodeHttpHandler {
  readonly #deadline: () => number | undefined;
  readonly #now: () => number;

  constructor(options: DeadlineBoundHttpHandlerOptions = {}) {
    const { deadline, now, ...http } = options;
    super(http);
    this.#deadline = deadline ?? awsCallDeadline;
    this.#now = now ?? Date.now;
  }

  override async handle(...[request, options = {}]: HandleArgs): HandleResult {
    const deadline = this.#deadline();
    if (deadline === undefined) return super.handle(request, options);
    const exceeded = new AwsCallDeadlineError(deadline, request.hostname);
    const remaining = deadline - this.#now();
    if (remaining <= 0) throw exceeded;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(exceeded), remaining);
    const given = options.abortSignal as AbortSignal | undefined;
    try {
      return await super.handle(request, { ...options, abortSignal: given ? AbortSignal.any([given, controller.signal]) : controller.signal });
    } catch (error) {
      if (controller.signal.aborted) throw exceeded;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

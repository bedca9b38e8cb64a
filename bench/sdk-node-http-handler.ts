/**
 * The AWS clients' request handler as it was before it moved onto our transport (src/http): the
 * SDK's NodeHttpHandler with the invocation's deadline added. Kept for the bench's comparison
 * (bench/dynamodb-request-cost.ts), not used by the service.
 */
import { NodeHttpHandler, type NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import { awsCallCutoff } from "../src/aws/call-deadline.ts";
import { AwsCallDeadlineError } from "../src/aws/errors.ts";

type HandleArgs = Parameters<NodeHttpHandler["handle"]>;
type HandleResult = ReturnType<NodeHttpHandler["handle"]>;

/** Options of {@link DeadlineBoundHttpHandler}: NodeHttpHandler's, plus where the deadline comes from. */
export interface DeadlineBoundHttpHandlerOptions extends NodeHttpHandlerOptions {
  /** When a call starting at `now` must be over (epoch ms); default: the invocation's ({@link awsCallCutoff}). */
  cutoff?: (now: number) => number | undefined;
  now?: () => number;
}

/**
 * The AWS SDK's Node.js HTTP handler (connection and request timeouts per attempt) that also cuts
 * every attempt off at the invocation's deadline: a stalled DynamoDB, SQS or Secrets Manager call
 * cannot outlive the invocation's budget, whatever the per-attempt timeouts and the SDK's retries
 * would allow (the cut-off is {@link awsCallCutoff}: the deadline, or a short grace for a call
 * started after it). Past the cut-off an attempt is not started. Either way the call fails with
 * {@link AwsCallDeadlineError}, which the SDK does not retry.
 *
 * @example
 * ```ts
 * new DynamoDBClient({ requestHandler: new DeadlineBoundHttpHandler({ connectionTimeout: 2_000, requestTimeout: 5_000 }) });
 * ```
 */
export class NodeHttpDeadlineHandler extends NodeHttpHandler {
  readonly #cutoff: (now: number) => number | undefined;
  readonly #now: () => number;

  constructor(options: DeadlineBoundHttpHandlerOptions = {}) {
    const { cutoff, now, ...http } = options;
    super(http);
    this.#cutoff = cutoff ?? awsCallCutoff;
    this.#now = now ?? Date.now;
  }

  override async handle(...[request, options = {}]: HandleArgs): HandleResult {
    const now = this.#now();
    const deadline = this.#cutoff(now);
    if (deadline === undefined) return super.handle(request, options);
    // Made only when the deadline is hit: an error captures a stack trace, and building one for
    // every request cost about 1.5% of the backfill's CPU (bench/cpu-profile.ts).
    const exceeded = () => new AwsCallDeadlineError(deadline, request.hostname);
    const remaining = deadline - now;
    if (remaining <= 0) throw exceeded();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(exceeded()), remaining);
    const given = options.abortSignal as AbortSignal | undefined;
    try {
      return await super.handle(request, { ...options, abortSignal: given ? AbortSignal.any([given, controller.signal]) : controller.signal });
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason instanceof AwsCallDeadlineError ? controller.signal.reason : exceeded();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A local Amazon SQS stand-in for tests and the local stack: a real `node:http` server on 127.0.0.1
 * speaking the protocol `@aws-sdk/client-sqs` 3.x uses, AWS JSON 1.0 in "query compatible" mode
 * (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, `application/x-amz-json-1.0`).
 * Point the client at it with its `endpoint` option or `AWS_ENDPOINT_URL_SQS`.
 *
 * Supported: the actions of ./sqs/actions.ts. Standard queues only (no FIFO), fixed at start (no
 * CreateQueue). Message attributes are not supported (nothing of the service sends them): a send
 * with any is refused with `UnsupportedOperation`, never stored without the digests SQS returns.
 * Redrive works as in SQS: a receive that would push a message past `maxReceiveCount` moves it to
 * the dead-letter queue instead of delivering it.
 *
 * Errors are answered as SQS does: HTTP 400/403/404 with `{"__type": "com.amazonaws.sqs#<Name>"}`
 * and the `x-amzn-query-error: <QueryCode>;Sender` header, which the SDK maps to its exception
 * classes (e.g. `QueueDoesNotExist` from `AWS.SimpleQueueService.NonExistentQueue`).
 *
 * Not a security boundary: an `Authorization` header must be present, but the SigV4 signature is
 * not verified (any access key works).
 *
 * Modules: ./sqs/queues.ts (queue state and message rules), ./sqs/actions.ts (the action table),
 * ./sqs/move-tasks.ts (DLQ redrive tasks), ./sqs/input.ts (parameters), ./sqs/faults.ts (errors);
 * this file is the HTTP server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { closeServer, listenOnLoopback } from "../sandbox/loopback.ts";
import { answerAction, type AwsFault, type AwsJsonProtocol, awsJsonServer, parseAwsJsonBody, sendAwsFault } from "./aws-json.ts";
import { sqsActions } from "./sqs/actions.ts";
import { SqsFault } from "./sqs/faults.ts";
import { ACCOUNT, SqsQueues, type SqsQueueDepth, type SqsQueueOptions } from "./sqs/queues.ts";

export type { SqsQueueDepth, SqsQueueOptions, SqsRedriveOptions } from "./sqs/queues.ts";

const TARGET_PREFIX = "AmazonSQS.";
const DEFAULT_MAX_WAIT_MS = 1_000;

export interface SqsStandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number | undefined;
  queues: readonly SqsQueueOptions[];
  /** Longest a ReceiveMessage with `WaitTimeSeconds` waits for a message; 1 s by default. */
  maxWaitMs?: number | undefined;
}

export interface SqsStandIn {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  endpoint: string;
  /** `${endpoint}/000000000000/${name}`; throws for a queue the stand-in does not have. */
  queueUrl(name: string): string;
  /** `arn:aws:sqs:us-east-1:000000000000:${name}`; throws for a queue the stand-in does not have. */
  queueArn(name: string): string;
  /** The queue's messages by state, now. */
  depth(name: string): SqsQueueDepth;
  /** The bodies of every message in the queue (any state), oldest first: a snapshot. */
  messages(name: string): readonly string[];
  /** How many ReceiveMessage calls wait (long polling) for a message of the queue now. */
  receivesWaiting(name: string): number;
  /** Stops the server, ends waiting receives and drops open keep-alive connections. */
  close(): Promise<void>;
}

/** AWS JSON 1.0, query compatible: `__type` namespaced, `x-amzn-query-error` on errors. */
const SQS_PROTOCOL: AwsJsonProtocol = { contentType: "application/x-amz-json-1.0", errorNamespace: "com.amazonaws.sqs#", queryCompatible: true };

const fail = (res: ServerResponse, fault: AwsFault) => sendAwsFault(res, fault, SQS_PROTOCOL);

/** The access key id in a SigV4 `Authorization` header, reported as SenderId. */
function senderOf(authorization: string): string {
  return /Credential=([^/,\s]+)/.exec(authorization)?.[1] ?? ACCOUNT;
}

/**
 * Starts the stand-in with its queues and resolves once it is listening.
 *
 * @example
 * ```ts
 * const sqs = await startSqsStandIn({
 *   queues: [
 *     { name: "signup", visibilityTimeoutMs: 200, redrive: { deadLetterQueueName: "signup-dlq", maxReceiveCount: 3 } },
 *     { name: "signup-dlq" },
 *   ],
 * });
 * const client = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1",
 *   credentials: { accessKeyId: "x", secretAccessKey: "y" } });
 * await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl("signup"), MessageBody: "{}" }));
 * await sqs.close();
 * ```
 */
export async function startSqsStandIn(options: SqsStandInOptions): Promise<SqsStandIn> {
  const queues = new SqsQueues(options.queues);
  let closed = false;
  let endpoint = "";
  const waiting = new Map<string, number>();
  const actions = sqsActions({ queues, endpoint: () => endpoint, maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, closed: () => closed, waiting });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers["x-amz-target"];
    if (req.method !== "POST" || typeof target !== "string" || !target.startsWith(TARGET_PREFIX)) {
      // The query protocol (form-encoded `Action=`) of older SDKs is not spoken here.
      return fail(res, new SqsFault("UnknownOperationException", "Expected POST with X-Amz-Target: AmazonSQS.<Action> (AWS JSON 1.0)."));
    }
    const authorization = req.headers.authorization;
    if (!authorization) {
      return fail(res, new SqsFault("MissingAuthenticationToken", "Request is missing Authentication Token", { status: 403 }));
    }
    const actionName = target.slice(TARGET_PREFIX.length);
    const action = Object.hasOwn(actions, actionName) ? actions[actionName] : undefined;
    if (!action) {
      return fail(res, new SqsFault("InvalidAction", `The action ${actionName} is not valid for this endpoint.`));
    }
    await answerAction(res, () => action(parseAwsJsonBody(Buffer.concat(chunks)), senderOf(authorization)), "InternalError", SQS_PROTOCOL);
  }

  const server = awsJsonServer(handle, "InternalError", SQS_PROTOCOL);
  const port = await listenOnLoopback(server, options.port ?? 0);
  endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    queueUrl: (name) => `${endpoint}/${ACCOUNT}/${queues.byName(name).name}`,
    queueArn: (name) => queues.byName(name).arn,
    depth: (name) => queues.depth(queues.byName(name)),
    messages: (name) => Object.freeze(queues.byName(name).messages.map((m) => m.body)),
    receivesWaiting: (name) => waiting.get(queues.byName(name).name) ?? 0,
    close() {
      closed = true;
      return closeServer(server, "all");
    },
  };
}

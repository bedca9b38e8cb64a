import { createHash } from "node:crypto";
import { configuredEndpoint } from "../aws/endpoint.ts";
import { AwsJsonRpcClient, AwsServiceError, type AwsJsonRpcClientOptions } from "../aws/json-rpc.ts";
import { ProvisionerError } from "../errors.ts";

/**
 * The queue a SendMessage names does not exist (SQS `QueueDoesNotExist`, query code
 * `AWS.SimpleQueueService.NonExistentQueue`): the name, `Code` and `$fault` the SDK's modeled
 * exception has.
 *
 * @example
 * ```ts
 * if (error instanceof QueueDoesNotExist) logger.error("SIGNUP_QUEUE_URL names no queue");
 * ```
 */
export class QueueDoesNotExist extends AwsServiceError {}

/**
 * SQS answered a SendMessage with an MD5 of the body other than the body's: the message may have
 * been stored altered. The SDK's check (`InvalidChecksumError`), as a typed error.
 *
 * @example
 * ```ts
 * if (error instanceof SqsChecksumMismatchError) logger.error("SQS stored another body");
 * ```
 */
export class SqsChecksumMismatchError extends ProvisionerError {
  override name = "SqsChecksumMismatchError";
  readonly retryable = false;
}

/** What SendMessage answers (the fields the service reads). */
export interface SqsSendMessageOutput {
  MessageId: string;
  MD5OfMessageBody: string;
}

/** Options of {@link SqsSendMessageClient}: the AWS JSON client's, less what SQS fixes. */
export type SqsSendMessageClientOptions = Omit<AwsJsonRpcClientOptions, "signingName" | "targetPrefix" | "jsonVersion" | "queryCompatible" | "errors"> & {
  /** Where requests go; default `AWS_ENDPOINT_URL_SQS`, then `AWS_ENDPOINT_URL`, then the queue URL's origin (as the SDK does). */
  endpoint?: string | undefined;
};

/**
 * SQS SendMessage alone, in the protocol `@aws-sdk/client-sqs` 3.x speaks (AWS JSON 1.0, query
 * compatible): the same request body and protocol headers, SigV4 by the SDK's signer, the SDK's
 * standard retries, and its check of the answer's MD5 of the body. Written here because the SDK
 * client cost the webhook bundle 19 KB for this one call (bench: bundle sizes); the request is
 * checked against the SDK's in test/integration/queue/sqs-send-message.test.ts.
 *
 * @example
 * ```ts
 * const sqs = new SqsSendMessageClient();
 * await sqs.sendMessage({ QueueUrl: process.env.SIGNUP_QUEUE_URL, MessageBody: "{}" });
 * ```
 */
export class SqsSendMessageClient {
  readonly #client: AwsJsonRpcClient;
  readonly #endpoint: string | undefined;

  constructor(options: SqsSendMessageClientOptions = {}) {
    const { endpoint, ...rest } = options;
    this.#endpoint = endpoint ?? configuredEndpoint("SQS", process.env);
    this.#client = new AwsJsonRpcClient({
      ...rest,
      signingName: "sqs",
      targetPrefix: "AmazonSQS",
      jsonVersion: "1.0",
      queryCompatible: true,
      errors: { QueueDoesNotExist },
    });
  }

  /**
   * Sends one message; rejects with {@link QueueDoesNotExist}, another AwsServiceError, a
   * TransportError, an AwsCallDeadlineError, or {@link SqsChecksumMismatchError}.
   *
   * @example
   * ```ts
   * const { MessageId } = await sqs.sendMessage({ QueueUrl, MessageBody: JSON.stringify(event) });
   * ```
   */
  async sendMessage(input: { QueueUrl: string; MessageBody: string; DelaySeconds?: number | undefined }): Promise<SqsSendMessageOutput> {
    const endpoint = this.#endpoint ?? new URL(input.QueueUrl).origin;
    const delay = input.DelaySeconds ? { DelaySeconds: input.DelaySeconds } : {};
    const output = await this.#client.call(endpoint, "SendMessage", { QueueUrl: input.QueueUrl, MessageBody: input.MessageBody, ...delay });
    const md5 = createHash("md5").update(input.MessageBody, "utf8").digest("hex");
    if (output["MD5OfMessageBody"] !== md5) {
      throw new SqsChecksumMismatchError(`SQS SendMessage answered MD5OfMessageBody ${String(output["MD5OfMessageBody"])}, the body's is ${md5}`);
    }
    return { MessageId: String(output["MessageId"]), MD5OfMessageBody: md5 };
  }
}

import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { CredentialSource, WebhookSecrets } from "../../src/credentials/types.ts";
import type { Clock } from "../../src/http/types.ts";
import { WebhookVerificationError } from "../../src/webhook/errors.ts";
import { decodeWebhookSecret, verifyWebhook, type VerifiedWebhook } from "../../src/webhook/verify.ts";
import { rawBodyOf, type RawBodyContext } from "./raw-body.ts";

/** A context carrying the verified webhook's id and timestamp. */
export interface WebhookContext extends RawBodyContext {
  webhook?: VerifiedWebhook;
}

/** The webhook {@link webhookSignature} verified. */
export function webhookOf(context: WebhookContext): VerifiedWebhook {
  if (context.webhook === undefined) throw new Error("webhookSignature middleware did not run");
  return context.webhook;
}

/**
 * Verifies the Standard Webhooks signature on the raw body (run after `rawBody`) against every
 * current secret, then hands the id to `remember` (the replay guard). The secrets are re-read
 * (at most once a second, by the cache) when the signature fails, in case the sender rotated
 * before our cache did, and when it matched only an older key, in case that key was retired
 * since: a removed key stops working at once, not when the cache ages out. If the request then
 * fails on our side (an error that is not the client's), the id is handed to `forget`, so the
 * sender's retry with the same id is processed.
 *
 * @example
 * ```ts
 * middy(handler).use(rawBody({ maxBytes })).use(webhookSignature({ secrets, remember: (id) => guard.remember(id) }));
 * ```
 */
export function webhookSignature(options: {
  secrets: CredentialSource<WebhookSecrets>;
  remember: (webhookId: string) => Promise<void>;
  forget: (webhookId: string) => Promise<void>;
  /** True for errors that are the client's (4xx): the id stays spent. */
  isClientError: (error: unknown) => boolean;
  clock?: Clock;
}): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, WebhookContext> {
  return {
    name: "webhookSignature",
    before: async (request) => {
      const h = request.event.headers ?? {};
      // HTTP API payload v2 lowercases header names.
      const headers = { "webhook-id": h["webhook-id"], "webhook-timestamp": h["webhook-timestamp"], "webhook-signature": h["webhook-signature"] };
      const verify = (secrets: WebhookSecrets) =>
        verifyWebhook(rawBodyOf(request.context), headers, secrets.secrets.map(decodeWebhookSecret), options.clock);
      let verified: VerifiedWebhook;
      try {
        verified = verify(await options.secrets.get());
        if (verified.keyIndex > 0) verified = verify(await options.secrets.refresh());
      } catch (error) {
        if (!(error instanceof WebhookVerificationError && error.reason === "bad-signature")) throw error;
        verified = verify(await options.secrets.refresh());
      }
      await options.remember(verified.id);
      request.context.webhook = verified;
    },
    onError: async (request) => {
      const id = request.context.webhook?.id;
      if (id !== undefined && !options.isClientError(request.error)) await options.forget(id);
    },
  };
}

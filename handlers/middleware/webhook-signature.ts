import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { CredentialSource, WebhookSecrets } from "../../src/credentials/types.ts";
import type { Clock } from "../../src/http/types.ts";
import { decodeWebhookSecret, verifyWebhook, type VerifiedWebhook } from "../../src/webhook/verify.ts";
import type { RawBodyContext } from "./raw-body.ts";

/** A context carrying the verified webhook's id and timestamp. */
export interface WebhookContext extends RawBodyContext {
  webhook: VerifiedWebhook;
}

/**
 * Verifies the Standard Webhooks signature on the raw body (run after `rawBody`) against every
 * current secret, then hands the id to `remember` (the replay guard). On a signature failure the
 * secrets are re-read once, in case the sender rotated before our cache did.
 *
 * @example
 * ```ts
 * middy(handler).use(rawBody({ maxBytes })).use(webhookSignature({ secrets, remember: (id) => guard.remember(id) }));
 * ```
 */
export function webhookSignature(options: {
  secrets: CredentialSource<WebhookSecrets>;
  remember: (webhookId: string) => Promise<void>;
  clock?: Clock;
}): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, WebhookContext> {
  return {
    name: "webhookSignature",
    before: async (request) => {
      const h = request.event.headers ?? {};
      // HTTP API payload v2 lowercases header names.
      const headers = { "webhook-id": h["webhook-id"], "webhook-timestamp": h["webhook-timestamp"], "webhook-signature": h["webhook-signature"] };
      const verify = (secrets: WebhookSecrets) =>
        verifyWebhook(request.context.rawBody, headers, secrets.secrets.map(decodeWebhookSecret), options.clock);
      let verified: VerifiedWebhook;
      try {
        verified = verify(await options.secrets.get());
      } catch (error) {
        if (!(error instanceof Error && "reason" in error && error.reason === "bad-signature")) throw error;
        verified = verify(await options.secrets.refresh());
      }
      await options.remember(verified.id);
      request.context.webhook = verified;
    },
  };
}

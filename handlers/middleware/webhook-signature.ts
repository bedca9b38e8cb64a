import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { Clock } from "../../src/http/types.ts";
import type { WebhookDelivery } from "../../src/webhook/replay-guard.ts";
import type { WebhookSigningKeys } from "../../src/webhook/signing-keys.ts";
import type { VerifiedWebhook } from "../../src/webhook/verify.ts";
import { rawBodyOf, type RawBodyContext } from "./raw-body.ts";

/** A verified webhook, and whether it is a resend of one already accepted. */
export interface AcceptedWebhook extends VerifiedWebhook {
  delivery: WebhookDelivery;
}

/** A context carrying the verified webhook's id, timestamp and delivery. */
export interface WebhookContext extends RawBodyContext {
  webhook?: AcceptedWebhook;
}

/**
 * The webhook {@link webhookSignature} verified; throws when that middleware did not run.
 *
 * @example
 * ```ts
 * const { id, delivery } = webhookOf(context);
 * ```
 */
export function webhookOf(context: WebhookContext): AcceptedWebhook {
  if (context.webhook === undefined) throw new Error("webhookSignature middleware did not run");
  return context.webhook;
}

/**
 * Verifies the Standard Webhooks signature on the raw body (run after `rawBody`) with the signing
 * keys (which decide when the key list is read again), then hands the id and body to `remember`
 * (the replay guard), which says whether this is the first delivery or a resend.
 *
 * @example
 * ```ts
 * middy(handler).use(rawBody({ maxBytes })).use(webhookSignature({ keys, remember: (id, body) => guard.remember(id, body) }));
 * ```
 */
export function webhookSignature(options: {
  keys: Pick<WebhookSigningKeys, "verify">;
  /** Gets the request's context too, e.g. to widen its deadline for this write. */
  remember: (webhookId: string, body: Buffer, context: WebhookContext) => Promise<WebhookDelivery>;
  clock?: Clock;
}): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, WebhookContext> {
  return {
    name: "webhookSignature",
    before: async (request) => {
      const h = request.event.headers ?? {};
      // HTTP API payload v2 lowercases header names.
      const headers = { "webhook-id": h["webhook-id"], "webhook-timestamp": h["webhook-timestamp"], "webhook-signature": h["webhook-signature"] };
      const body = rawBodyOf(request.context);
      const verified = await options.keys.verify(body, headers, options.clock);
      request.context.webhook = { ...verified, delivery: await options.remember(verified.id, body, request.context) };
    },
  };
}

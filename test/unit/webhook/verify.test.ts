import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { WebhookVerificationError } from "../../../src/webhook/errors.ts";
import { decodeWebhookSecret, verifyWebhook } from "../../../src/webhook/verify.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const secretA = `whsec_${randomBytes(32).toString("base64")}`;
const secretB = `whsec_${randomBytes(32).toString("base64")}`;
const clock = new FakeClock(Date.parse("2026-11-23T10:00:00Z"));
const body = Buffer.from(JSON.stringify({ type: "tenant.created", data: { tenantId: "t-1" } }));

/** Signs with the reference implementation, standardwebhooks. */
function headersFor(secret: string, payload: Buffer, at = new Date(clock.now()), id = "msg_1") {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, payload),
  };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebhookVerificationError);
    return (e as WebhookVerificationError).reason;
  }
  return "accepted";
}

describe("verifyWebhook", () => {
  it("accepts what the reference implementation signs", () => {
    const v = verifyWebhook(body, headersFor(secretA, body), [decodeWebhookSecret(secretA)], clock);
    expect(v).toEqual({ id: "msg_1", timestamp: Math.floor(clock.now() / 1000), keyIndex: 0 });
  });

  it("accepts any current secret during rotation, and any of several offered signatures", () => {
    const keys = [secretB, secretA].map(decodeWebhookSecret);
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body), keys, clock))).toBe("accepted");
    const h = headersFor(secretA, body);
    h["webhook-signature"] = `v1,${Buffer.alloc(32).toString("base64")} ${h["webhook-signature"]}`;
    expect(reason(() => verifyWebhook(body, h, [decodeWebhookSecret(secretA)], clock))).toBe("accepted");
  });

  it("rejects a retired secret, a tampered body and a tampered id", () => {
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body), [decodeWebhookSecret(secretB)], clock))).toBe("bad-signature");
    const tampered = Buffer.from(body.toString().replace("t-1", "t-2"));
    expect(reason(() => verifyWebhook(tampered, headersFor(secretA, body), [decodeWebhookSecret(secretA)], clock))).toBe("bad-signature");
    const h = { ...headersFor(secretA, body), "webhook-id": "msg_2" };
    expect(reason(() => verifyWebhook(body, h, [decodeWebhookSecret(secretA)], clock))).toBe("bad-signature");
  });

  it("signs raw bytes: a non-UTF-8 body verifies only byte for byte", () => {
    const binary = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const id = "msg_bin";
    const ts = Math.floor(clock.now() / 1000);
    const sig = createHmac("sha256", decodeWebhookSecret(secretA)).update(Buffer.concat([Buffer.from(`${id}.${ts}.`), binary])).digest("base64");
    const h = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1,${sig}` };
    expect(reason(() => verifyWebhook(binary, h, [decodeWebhookSecret(secretA)], clock))).toBe("accepted");
  });

  it("says which key matched, so a caller can re-check a match on a retiring key", () => {
    const keys = [secretB, secretA].map(decodeWebhookSecret);
    expect(verifyWebhook(body, headersFor(secretA, body), keys, clock).keyIndex).toBe(1);
    expect(verifyWebhook(body, headersFor(secretB, body), keys, clock).keyIndex).toBe(0);
  });

  it("refuses an over-long or non-ASCII webhook-id before checking anything else", () => {
    const keys = [decodeWebhookSecret(secretA)];
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, new Date(clock.now()), "m".repeat(257)), keys, clock))).toBe("bad-id");
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, new Date(clock.now()), "m".repeat(256)), keys, clock))).toBe("accepted");
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, new Date(clock.now()), "msg 1"), keys, clock))).toBe("bad-id");
  });

  it("enforces ±5 minutes", () => {
    const keys = [decodeWebhookSecret(secretA)];
    const at = (offsetS: number) => new Date(clock.now() + offsetS * 1000);
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, at(-299)), keys, clock))).toBe("accepted");
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, at(-301)), keys, clock))).toBe("stale");
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, at(299)), keys, clock))).toBe("accepted");
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, at(301)), keys, clock))).toBe("future");
    // Exactly 5 minutes either way is still inside, as in the reference implementation.
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, at(-300)), keys, clock))).toBe("accepted");
    expect(reason(() => verifyWebhook(body, headersFor(secretA, body, at(300)), keys, clock))).toBe("accepted");
  });

  it("names a missing or malformed header", () => {
    const keys = [decodeWebhookSecret(secretA)];
    const { "webhook-signature": _s, ...unsigned } = headersFor(secretA, body);
    expect(reason(() => verifyWebhook(body, unsigned, keys, clock))).toBe("missing-header");
    expect(() => verifyWebhook(body, unsigned, keys, clock)).toThrow("webhook-signature: required");
    expect(reason(() => verifyWebhook(body, { ...headersFor(secretA, body), "webhook-timestamp": "12.5" }, keys, clock))).toBe("bad-timestamp");
  });

  it("never puts a secret or the expected signature in the error", () => {
    try {
      verifyWebhook(body, headersFor(secretB, body), [decodeWebhookSecret(secretA)], clock);
    } catch (e) {
      const text = `${(e as Error).message} ${(e as Error).stack ?? ""}`;
      expect(text).not.toContain(secretA.slice(6, 20));
      expect(text).not.toContain(headersFor(secretA, body)["webhook-signature"].slice(3, 20));
      return;
    }
    throw new Error("expected a rejection");
  });

  it("names the header and the rule for every rejection", () => {
    const keys = [decodeWebhookSecret(secretA)];
    const at = (offsetS: number) => new Date(clock.now() + offsetS * 1000);
    const good = headersFor(secretA, body);
    const cases: [Record<string, string>, string, string, string][] = [
      [{ ...good, "webhook-id": "msg 1" }, "bad-id", "webhook-id", "at most 256 printable ASCII characters"],
      [{ ...good, "webhook-timestamp": "12.5" }, "bad-timestamp", "webhook-timestamp", "must be integer seconds since the epoch"],
      [headersFor(secretA, body, at(-301)), "stale", "webhook-timestamp", "older than 5 minutes"],
      [headersFor(secretA, body, at(301)), "future", "webhook-timestamp", "more than 5 minutes in the future"],
      [headersFor(secretB, body), "bad-signature", "webhook-signature", "no v1 signature matches a current secret"],
    ];
    for (const [headers, reasonWanted, field, rule] of cases) {
      const error = (() => {
        try {
          verifyWebhook(body, headers, keys, clock);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, reasonWanted).toMatchObject({ reason: reasonWanted, field, rule, message: `${field}: ${rule}` });
    }
  });

  it("counts only well-formed v1 signatures: another version or extra parts do not verify", () => {
    const keys = [decodeWebhookSecret(secretA)];
    const good = headersFor(secretA, body);
    const sig = good["webhook-signature"].slice(3);
    expect(reason(() => verifyWebhook(body, { ...good, "webhook-signature": `v1a,${sig}` }, keys, clock))).toBe("bad-signature");
    expect(reason(() => verifyWebhook(body, { ...good, "webhook-signature": `v2,${sig}` }, keys, clock))).toBe("bad-signature");
    expect(reason(() => verifyWebhook(body, { ...good, "webhook-signature": `v1,${sig},x` }, keys, clock))).toBe("bad-signature");
    expect(reason(() => verifyWebhook(body, { ...good, "webhook-signature": `v1,${sig}` }, keys, clock))).toBe("accepted");
  });
});

describe("decodeWebhookSecret", () => {
  it("decodes a secret with or without the whsec_ prefix to the same key", () => {
    const raw = secretA.slice(6);
    expect(decodeWebhookSecret(raw)).toEqual(decodeWebhookSecret(secretA));
    expect(decodeWebhookSecret(secretA)).toEqual(Buffer.from(raw, "base64"));
  });
});

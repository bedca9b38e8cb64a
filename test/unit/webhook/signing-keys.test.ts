/**
 * When the signing keys are read again, on a fake clock: a source that counts its reads and can
 * be made to fail stands in for the secret's cache (the handler tests run the same paths against
 * the Secrets Manager stand-in).
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { WebhookSecrets } from "../../../src/credentials/types.ts";
import { WebhookVerificationError } from "../../../src/webhook/errors.ts";
import { WEBHOOK_KEY_REREAD_INTERVAL_MS, WebhookSigningKeys, type RereadReason } from "../../../src/webhook/signing-keys.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const [newKey, oldKey, stranger] = [0, 1, 2].map(() => `whsec_${randomBytes(32).toString("base64")}`) as [string, string, string];
const body = Buffer.from('{"type":"tenant.created","data":{}}');

/**
 * A secret that holds `list` and counts reads. While `down`, reads fail; `get` still answers from
 * its cache until `cacheAged` (as the real cache does while its copy is young).
 */
class Source {
  list: string[];
  down = false;
  cacheAged = false;
  gets = 0;
  refreshes: { reuseWithinMs: number | undefined }[] = [];
  constructor(list: string[]) {
    this.list = list;
  }
  async get(): Promise<WebhookSecrets> {
    this.gets++;
    if (this.down && this.cacheAged) throw new Error("Secrets Manager unavailable");
    return { secrets: [...this.list] };
  }
  async refresh(options: { reuseWithinMs?: number } = {}): Promise<WebhookSecrets> {
    this.refreshes.push({ reuseWithinMs: options.reuseWithinMs });
    if (this.down) throw new Error("Secrets Manager unavailable");
    return { secrets: [...this.list] };
  }
}

function setup(list: string[]) {
  const clock = new FakeClock(Date.parse("2026-11-30T10:00:00Z"));
  const source = new Source(list);
  const rereads: [RereadReason, string][] = [];
  const keys = new WebhookSigningKeys(source, { clock, onReread: (reason, outcome) => rereads.push([reason, outcome]) });
  const verify = (secret: string) => {
    const at = new Date(clock.now());
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": new Webhook(secret).sign("msg_1", at, body.toString()) };
    return keys.verify(body, headers, clock);
  };
  return { clock, source, rereads, verify };
}

const badSignature = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e) => e instanceof WebhookVerificationError && e.reason === "bad-signature");

describe("WebhookSigningKeys", () => {
  it("a newest-key match reads nothing more than the cache", async () => {
    const { source, verify } = setup([newKey, oldKey]);
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(source.refreshes).toEqual([]);
  });

  it("an older-key match re-reads with no reuse of an earlier read, and is refused once the key is gone", async () => {
    const { source, verify, rereads } = setup([newKey, oldKey]);
    expect((await verify(oldKey)).keyIndex).toBe(1);
    expect(source.refreshes).toEqual([{ reuseWithinMs: 0 }]);
    source.list = [newKey];
    await badSignature(verify(oldKey));
    expect(rereads[0]).toEqual(["older-key", "ok"]);
  });

  it("a bad signature re-reads at most once per interval, however many arrive", async () => {
    const { clock, source, verify } = setup([newKey]);
    for (let i = 0; i < 10; i++) await badSignature(verify(stranger));
    expect(source.refreshes).toHaveLength(1);
    clock.advance(WEBHOOK_KEY_REREAD_INTERVAL_MS - 1);
    await badSignature(verify(stranger));
    expect(source.refreshes).toHaveLength(1);
    clock.advance(1);
    await badSignature(verify(stranger));
    expect(source.refreshes).toHaveLength(2);
  });

  it("a key the sender rotated to before our cache knew it verifies after the re-read", async () => {
    const { source, verify } = setup([oldKey]);
    await verify(oldKey);
    source.list = [newKey, oldKey];
    expect((await verify(newKey)).keyIndex).toBe(0);
  });

  it("while the source fails: bad signatures are refused from the last list (no throw of the read error), and no read is tried for an interval", async () => {
    const { clock, source, verify, rereads } = setup([newKey, oldKey]);
    await verify(newKey);
    source.down = true;
    await badSignature(verify(stranger));
    expect(rereads).toEqual([["bad-signature", "failed"]]);
    source.cacheAged = true;
    const reads = () => source.gets + source.refreshes.length;
    const before = reads();
    clock.advance(WEBHOOK_KEY_REREAD_INTERVAL_MS);
    // The older key is accepted from the last list while the source fails (it cannot be checked).
    expect((await verify(oldKey)).keyIndex).toBe(1);
    const afterOne = reads();
    expect(afterOne).toBeGreaterThan(before);
    await badSignature(verify(stranger));
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(reads()).toBe(afterOne);
  });

  it("a process that never read the list fails with the read's error (a 5xx: nothing to verify with)", async () => {
    const { source, verify } = setup([newKey]);
    source.down = true;
    source.cacheAged = true;
    await expect(verify(newKey)).rejects.toThrow("Secrets Manager unavailable");
  });
});

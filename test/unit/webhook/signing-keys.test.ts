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

/**
 * A source shaped like the real secret cache: `get` answers from its copy of the secret (which
 * can be older than the secret), `refresh` reads the secret and updates the copy. Each way can be
 * made to fail on its own.
 */
class CachedSource {
  secret: string[];
  copy: string[];
  getFails = false;
  refreshFails = false;
  gets = 0;
  refreshes = 0;
  constructor(list: string[]) {
    this.secret = list;
    this.copy = list;
  }
  async get(): Promise<WebhookSecrets> {
    this.gets++;
    if (this.getFails) throw new Error("Secrets Manager unavailable");
    return { secrets: [...this.copy] };
  }
  async refresh(): Promise<WebhookSecrets> {
    this.refreshes++;
    if (this.refreshFails) throw new Error("Secrets Manager unavailable");
    this.copy = this.secret;
    return { secrets: [...this.secret] };
  }
}

function cached(list: string[], withHook = true) {
  const clock = new FakeClock(Date.parse("2026-11-30T10:00:00Z"));
  const source = new CachedSource(list);
  const rereads: [RereadReason, string][] = [];
  const keys = new WebhookSigningKeys(source, withHook ? { clock, onReread: (reason, outcome) => rereads.push([reason, outcome]) } : { clock });
  const headersAt = (secret: string, at: Date) => ({
    "webhook-id": "msg_1",
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign("msg_1", at, body.toString()),
  });
  const verify = (secret: string) => keys.verify(body, headersAt(secret, new Date(clock.now())), clock);
  return { clock, source, rereads, keys, headersAt, verify };
}

describe("WebhookSigningKeys against a cached copy of the secret", () => {
  it("re-reads for a bad signature only: a stale timestamp or a missing signature is refused without a read", async () => {
    const { clock, source, keys, headersAt } = cached([newKey]);
    const stale = headersAt(newKey, new Date(clock.now() - 10 * 60_000));
    await expect(keys.verify(body, stale, clock)).rejects.toSatisfy((e) => e instanceof WebhookVerificationError && e.reason === "stale");
    const unsigned = { ...headersAt(newKey, new Date(clock.now())), "webhook-signature": "" };
    await expect(keys.verify(body, unsigned, clock)).rejects.toSatisfy((e) => e instanceof WebhookVerificationError && e.reason === "missing-header");
    await expect(keys.verify(body, {}, clock)).rejects.toSatisfy((e) => e instanceof WebhookVerificationError && e.reason === "missing-header");
    expect(source.refreshes).toBe(0);
  });

  it("asks the cache on every request (it decides how old a copy may be), and sees a new key the copy got", async () => {
    const { source, verify } = cached([oldKey]);
    await verify(oldKey);
    await verify(oldKey);
    expect(source.gets).toBe(2);
    source.copy = [newKey, oldKey];
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(source.refreshes).toBe(0);
  });

  it("a key the sender rotated to before the cached copy has it verifies after the bad-signature re-read", async () => {
    const { source, verify, rereads } = cached([oldKey]);
    source.secret = [newKey, oldKey];
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(source.refreshes).toBe(1);
    expect(rereads).toEqual([["bad-signature", "ok"]]);
  });

  it("an older key still in the cached copy but gone from the secret is refused after the older-key re-read", async () => {
    const { source, verify, rereads } = cached([newKey, oldKey]);
    source.secret = [newKey];
    await badSignature(verify(oldKey));
    expect(rereads[0]).toEqual(["older-key", "ok"]);
  });

  it("when the older-key re-read fails, the older key is accepted from the last list, and no read is tried for an interval", async () => {
    const { clock, source, verify, rereads } = cached([newKey, oldKey]);
    source.refreshFails = true;
    expect((await verify(oldKey)).keyIndex).toBe(1);
    expect(rereads).toEqual([["older-key", "failed"]]);
    clock.advance(WEBHOOK_KEY_REREAD_INTERVAL_MS - 1);
    expect((await verify(oldKey)).keyIndex).toBe(1);
    expect(source.refreshes).toBe(1);
    clock.advance(1);
    expect((await verify(oldKey)).keyIndex).toBe(1);
    expect(source.refreshes).toBe(2);
  });

  it("after a failed cache read, uses the last list for an interval, then asks the cache again", async () => {
    const { clock, source, verify } = cached([newKey]);
    await verify(newKey);
    source.getFails = true;
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(source.gets).toBe(2);
    clock.advance(WEBHOOK_KEY_REREAD_INTERVAL_MS - 1);
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(source.gets).toBe(2);
    clock.advance(1);
    source.getFails = false;
    expect((await verify(newKey)).keyIndex).toBe(0);
    expect(source.gets).toBe(3);
  });

  it("a bad signature re-reads again exactly one interval after a failed cache read", async () => {
    const { clock, source, verify } = cached([newKey]);
    await verify(newKey);
    source.getFails = true;
    await verify(newKey);
    clock.advance(WEBHOOK_KEY_REREAD_INTERVAL_MS);
    source.getFails = false;
    await badSignature(verify(stranger));
    expect(source.refreshes).toBe(1);
  });

  it("works without an onReread hook, whether the re-read succeeds or fails", async () => {
    const { clock, source, verify } = cached([newKey, oldKey], false);
    expect((await verify(oldKey)).keyIndex).toBe(1);
    source.refreshFails = true;
    clock.advance(WEBHOOK_KEY_REREAD_INTERVAL_MS);
    expect((await verify(oldKey)).keyIndex).toBe(1);
    expect(source.refreshes).toBe(2);
  });
});

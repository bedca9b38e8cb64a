/** The IM client's commands against the sandbox over real HTTP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError, ValidationError } from "../../../src/errors.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import { TencentImError } from "../../../src/providers/tencent-im/errors.ts";
import { APP, type Harness, countingCredentials, deadline, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.sandbox.reset();
  h.sandbox.faults.configure({});
});

describe("commands", () => {
  it("account_import is idempotent", async () => {
    await h.client.accountImport({ userId: "acme-admin", nick: "Acme" }, deadline());
    await h.client.accountImport({ userId: "acme-admin", nick: "Acme" }, deadline());
    expect(h.sandbox.state().accounts).toEqual(["acme-admin"]);
    expect(h.sandbox.state().counters.calls["account_import"]).toBe(2);
  });

  it("creates, reads back and destroys a group; a second destroy is already-gone", async () => {
    await h.client.accountImport({ userId: "owner" }, deadline());
    const created = await h.client.createGroup({ type: "Work", name: "Team", groupId: "g-1", ownerAccount: "owner", introduction: "hi" }, deadline());
    expect(created).toEqual({ groupId: "g-1" });
    expect(await h.client.getGroupInfo("g-1", deadline())).toMatchObject({ groupId: "g-1", type: "Work", ownerAccount: "owner", introduction: "hi", memberNum: 1 });
    expect(await h.client.destroyGroup("g-1", deadline())).toEqual({ outcome: "destroyed" });
    expect(await h.client.getGroupInfo("g-1", deadline())).toBeUndefined();
    expect(await h.client.destroyGroup("g-1", deadline())).toEqual({ outcome: "already-gone" });
    expect(await h.client.destroyGroup("never-was", deadline())).toEqual({ outcome: "already-gone" });
    expect(h.sandbox.state().groups).toEqual([]);
  });

  it("returns the server-assigned id when no GroupId is given", async () => {
    const { groupId } = await h.client.createGroup({ type: "Public", name: "Anon" }, deadline());
    expect(groupId).toMatch(/^@TGS#/);
    expect(h.sandbox.state().groups.map((g) => g.groupId)).toEqual([groupId]);
  });

  it("does not retry a permanent 10004 (owner not imported)", async () => {
    const error = await h.client.createGroup({ type: "Public", name: "x", groupId: "g", ownerAccount: "ghost" }, deadline()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentImError);
    expect(error).toMatchObject({ code: "10004", errorClass: "permanent", ambiguous: false, operation: "create_group", httpStatus: 200 });
    expect(h.sandbox.state().counters.calls["create_group"]).toBe(1);
  });

  it("uses the random it sent as the error's requestId, and never puts the UserSig in a message", async () => {
    const error = (await h.client.createGroup({ type: "Public", name: "x", groupId: "g", ownerAccount: "ghost" }, deadline()).catch((e: unknown) => e)) as TencentImError;
    expect(error.requestId).toMatch(/^\d+$/);
    const text = `${error.message} ${JSON.stringify(error.toJSON())}`;
    expect(text).not.toContain("usersig");
    expect(text).not.toContain(APP.secretKey);
  });

  it("refuses an invalid request before any call", async () => {
    await expect(h.client.createGroup({ type: "AVChatRoom", name: "x", members: [{ userId: "bob" }] }, deadline())).rejects.toBeInstanceOf(ValidationError);
    await expect(h.client.accountImport({ userId: "" }, deadline())).rejects.toBeInstanceOf(ValidationError);
    expect(h.sandbox.state().counters.calls).toEqual({});
  });
});

describe("configuration", () => {
  const credentials = countingCredentials(APP);

  it("accepts only the documented domains", () => {
    expect(() => createTencentImClient({ domain: "evil.example.com", credentials })).toThrow(ConfigurationError);
    expect(() => createTencentImClient({ domain: "console.tim.qq.com", credentials }).close()).not.toThrow();
  });

  it("allows plain http only to loopback hosts", () => {
    const domain = "console.tim.qq.com";
    expect(() => createTencentImClient({ domain, credentials, connectTo: "http://example.com:8080" })).toThrow(/connectTo/);
    expect(() => createTencentImClient({ domain, credentials, connectTo: "ftp://127.0.0.1" })).toThrow(ConfigurationError);
    for (const ok of ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://im-proxy.internal"]) {
      expect(() => createTencentImClient({ domain, credentials, connectTo: ok }).close()).not.toThrow();
    }
  });
});

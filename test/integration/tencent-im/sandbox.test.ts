/**
 * The sandbox is as strict as IM: hand-made requests over real HTTP, one broken thing at a time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpTransport } from "../../../src/http/request.ts";
import { generateUserSig } from "../../../src/providers/tencent-im/usersig.ts";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/server.ts";
import type { ImSandbox } from "../../../src/sandbox/tencent-im/types.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { APP, OTHER_APP, rawCall, validQuery } from "./harness.ts";

const CREATE = "/v4/group_open_http_svc/create_group";
const IMPORT = "/v4/im_open_login_svc/account_import";
const GET = "/v4/group_open_http_svc/get_group_info";
const DESTROY = "/v4/group_open_http_svc/destroy_group";

let sandbox: ImSandbox;
beforeAll(async () => {
  sandbox = await startTencentImSandbox({ apps: [{ ...APP, appDefinedDataKeys: ["Plan"] }, OTHER_APP], maxGroupsPerOwner: 3 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.faults.configure({});
});

async function code(path: string, query: Record<string, string | undefined>, body = "{}", method: "POST" | "GET" = "POST"): Promise<unknown> {
  const { status, json } = await rawCall(sandbox, path, query, body, method);
  expect(status).toBe(200);
  expect(json["ActionStatus"]).toBe(json["ErrorCode"] === 0 ? "OK" : "FAIL");
  return json["ErrorCode"];
}

async function importAccounts(...ids: string[]): Promise<void> {
  for (const id of ids) expect(await code(IMPORT, validQuery(APP), JSON.stringify({ UserID: id }))).toBe(0);
}

describe("envelope and UserSig checks", () => {
  const now = Math.floor(Date.now() / 1000);
  const sig = (over: Partial<{ sdkAppId: number; identifier: string; secretKey: string; expireSeconds: number; timeSeconds: number }>) =>
    generateUserSig({ sdkAppId: APP.sdkAppId, identifier: APP.adminIdentifier, secretKey: APP.secretKey, expireSeconds: 3600, timeSeconds: now, ...over });

  it.each([
    ["a valid request", {}, 0],
    ["an expired UserSig", { usersig: sig({ timeSeconds: now - 7200 }) }, 70001],
    ["a UserSig made with the wrong key", { usersig: sig({ secretKey: "not-the-key" }) }, 70009],
    ["a UserSig of another sdkappid", { usersig: sig({ sdkAppId: OTHER_APP.sdkAppId }) }, 70014],
    ["an unknown sdkappid", { sdkappid: "1400999999" }, 70020],
    ["a UserSig of another identifier", { usersig: sig({ identifier: "bob" }) }, 70013],
    ["a valid UserSig of a non-admin account", { identifier: "bob", usersig: sig({ identifier: "bob" }) }, 60010],
    ["a garbled UserSig", { usersig: "eJyrVgrxCdYrSy1S" }, 70003],
    ["a missing UserSig", { usersig: undefined }, 70003],
    ["a missing random", { random: undefined }, 60002],
    ["a random above 2^32-1", { random: "4294967296" }, 60002],
    ["a non-numeric random", { random: "abc" }, 60002],
    ["contenttype other than json", { contenttype: "xml" }, 60002],
    ["a missing identifier", { identifier: undefined }, 60002],
  ])("answers %s with ErrorCode %i", async (_label, overrides, expected) => {
    expect(await code(GET, validQuery(APP, overrides), JSON.stringify({ GroupIdList: ["g"] }))).toBe(expected);
  });

  it("answers a non-admin identifier with 70403 on account_import (account service) and 60010 on the group service", async () => {
    const bob = { identifier: "bob", usersig: sig({ identifier: "bob" }) };
    expect(await code(IMPORT, validQuery(APP, bob), JSON.stringify({ UserID: "x" }))).toBe(70403);
    expect(await code(CREATE, validQuery(APP, bob), JSON.stringify({ Type: "Public", Name: "n", Owner_Account: "x" }))).toBe(60010);
    expect(sandbox.state().accounts).toEqual([]);
    expect(sandbox.state().counters.rejections).toEqual({ "70403": 1, "60010": 1 });
  });

  it("accepts the other app with its own key", async () => {
    expect(await code(IMPORT, validQuery(OTHER_APP), JSON.stringify({ UserID: "x" }))).toBe(0);
    expect(sandbox.state(OTHER_APP.sdkAppId).accounts).toEqual(["x"]);
    expect(sandbox.state().accounts).toEqual([]);
  });

  it("answers 70052 for a UserSig issued before invalidation", async () => {
    const query = validQuery(APP);
    sandbox.invalidateUserSigs();
    expect(await code(IMPORT, query, JSON.stringify({ UserID: "x" }))).toBe(70052);
    const later = validQuery(APP, {}, Math.floor(Date.now() / 1000) + 1);
    expect(await code(IMPORT, later, JSON.stringify({ UserID: "x" }))).toBe(0);
  });

  // The sandbox remembers UserSigs it verified; a remembered one must be judged like a new one.
  it("refuses a UserSig it accepted before once it expires, for another identifier, and after invalidation", async () => {
    const clock = new FakeClock(now * 1000);
    const im = await startTencentImSandbox({ apps: [APP], clock });
    try {
      const query = validQuery(APP, {}, now);
      const call = (q: Record<string, string | undefined>) => rawCall(im, GET, q, JSON.stringify({ GroupIdList: ["g"] })).then((r) => r.json["ErrorCode"]);
      expect(await call(query)).toBe(0);
      expect(await call({ ...query, identifier: "bob" })).toBe(70013);
      clock.advance(3_601_000);
      expect(await call(query)).toBe(70001);
      clock.advance(-3_601_000);
      expect(await call(query)).toBe(0);
      im.invalidateUserSigs();
      expect(await call(query)).toBe(70052);
    } finally {
      await im.close();
    }
  });

  it("accepts POST only, a JSON object body only, known commands only", async () => {
    expect(await code(IMPORT, validQuery(APP), "", "GET")).toBe(60002);
    expect(await code(IMPORT, validQuery(APP), "")).toBe(60003);
    expect(await code(IMPORT, validQuery(APP), "[1]")).toBe(60003);
    expect(await code("/v4/group_open_http_svc/delete_everything", validQuery(APP))).toBe(10003);
    expect(await code("/v4/im_open_login_svc/create_group", validQuery(APP))).toBe(10003);
    expect(sandbox.state().counters.calls).toEqual({});
  });

  it("counts refused requests per ErrorCode and none as calls", async () => {
    await code(GET, validQuery(APP, { usersig: sig({ secretKey: "nope" }) }), JSON.stringify({ GroupIdList: ["g"] }));
    const state = sandbox.state();
    expect(state.counters.rejections).toEqual({ "70009": 1 });
    expect(state.counters.calls).toEqual({});
  });
});

describe("create_group rules", () => {
  const q = () => validQuery(APP);
  const create = (body: Record<string, unknown>) => code(CREATE, q(), JSON.stringify(body));
  const base = { Type: "Public", Name: "Acme", Owner_Account: "owner" };

  beforeEach(async () => {
    await importAccounts("owner", "bob");
  });

  it.each([
    ["an unknown Type", { Type: "Club" }, 10004],
    ["no Name", { Name: undefined }, 10004],
    ["a Name over 30 bytes", { Name: "群".repeat(11) }, 10004],
    ["an Introduction over 240 bytes", { Introduction: "a".repeat(241) }, 10004],
    ["a Notification over 300 bytes", { Notification: "a".repeat(301) }, 10004],
    ["a FaceUrl over 100 bytes", { FaceUrl: "a".repeat(101) }, 10004],
    ["a GroupId starting with @TGS#", { GroupId: "@TGS#x" }, 10004],
    ["a GroupId over 48 bytes", { GroupId: "g".repeat(49) }, 10004],
    ["a non-ASCII GroupId", { GroupId: "组" }, 10004],
    ["a Community GroupId without @TGS#_", { Type: "Community", GroupId: "c1" }, 10004],
    ["an unknown ApplyJoinOption", { ApplyJoinOption: "Anyone" }, 10004],
    ["ApplyJoinOption on Community", { Type: "Community", GroupId: "@TGS#_c", ApplyJoinOption: "FreeAccess" }, 10004],
    ["SupportTopic outside Community", { SupportTopic: 1 }, 10004],
    ["an AppDefinedData key not enabled", { AppDefinedData: [{ Key: "Other", Value: "x" }] }, 10004],
    ["an AppDefinedData value over 512 bytes", { AppDefinedData: [{ Key: "Plan", Value: "v".repeat(513) }] }, 10004],
    ["an owner that is not imported", { Owner_Account: "ghost" }, 10004],
    ["a MemberList on AVChatRoom", { Type: "AVChatRoom", MemberList: [{ Member_Account: "bob" }] }, 10007],
    ["over 100 members", { MemberList: Array.from({ length: 101 }, () => ({ Member_Account: "bob" })) }, 10005],
    ["a member that is not imported", { MemberList: [{ Member_Account: "ghost" }] }, 10019],
  ])("refuses %s with %i and creates nothing", async (_label, overrides, expected) => {
    expect(await create({ ...base, ...overrides })).toBe(expected);
    expect(sandbox.state().groups).toEqual([]);
  });

  it("creates a group with every field accepted, the owner and members in it", async () => {
    const { json } = await rawCall(
      sandbox,
      CREATE,
      q(),
      JSON.stringify({
        ...base,
        GroupId: "tenant-1",
        Introduction: "intro",
        ApplyJoinOption: "FreeAccess",
        AppDefinedData: [{ Key: "Plan", Value: "pro" }],
        MemberList: [{ Member_Account: "bob", Role: "Admin" }],
      }),
    );
    expect(json).toMatchObject({ ActionStatus: "OK", ErrorCode: 0, GroupId: "tenant-1" });
    expect(sandbox.state().groups).toMatchObject([{ groupId: "tenant-1", owner: "owner", introduction: "intro", members: ["owner", "bob"] }]);
    expect(sandbox.state().counters.createGroupApplied).toBe(1);
  });

  it("answers 10025 to the same owner and 10021 to another owner for a used GroupId", async () => {
    expect(await create({ ...base, GroupId: "dup" })).toBe(0);
    expect(await create({ ...base, GroupId: "dup" })).toBe(10025);
    expect(await create({ ...base, GroupId: "dup", Owner_Account: "bob" })).toBe(10021);
    expect(sandbox.state().groups).toHaveLength(1);
  });

  it("assigns an id when none is given (@TGS#_ for Community)", async () => {
    const { json } = await rawCall(sandbox, CREATE, q(), JSON.stringify({ Type: "Community", Name: "c", SupportTopic: 1 }));
    expect(String(json["GroupId"])).toMatch(/^@TGS#_/);
  });

  it("answers 10037 beyond the per-owner group limit", async () => {
    for (const id of ["a", "b", "c"]) expect(await create({ ...base, GroupId: id })).toBe(0);
    expect(await create({ ...base, GroupId: "d" })).toBe(10037);
  });

  it("get_group_info reports each group's own code: 0, 10010 after destroy, 10015 never existed", async () => {
    expect(await create({ ...base, GroupId: "g1" })).toBe(0);
    expect(await create({ ...base, GroupId: "g2" })).toBe(0);
    expect(await code(DESTROY, q(), JSON.stringify({ GroupId: "g2" }))).toBe(0);
    const { json } = await rawCall(sandbox, GET, q(), JSON.stringify({ GroupIdList: ["g1", "g2", "g3"] }));
    expect(json["ErrorCode"]).toBe(0);
    expect(json["GroupInfo"]).toMatchObject([
      { GroupId: "g1", ErrorCode: 0, Type: "Public", Owner_Account: "owner", MemberNum: 1 },
      { GroupId: "g2", ErrorCode: 10010 },
      { GroupId: "g3", ErrorCode: 10015 },
    ]);
    expect(await code(DESTROY, q(), JSON.stringify({ GroupId: "g2" }))).toBe(10010);
    expect(await code(DESTROY, q(), JSON.stringify({ GroupId: "g3" }))).toBe(10015);
  });

  it("account_import is idempotent and refuses a UserID over 32 bytes", async () => {
    expect(await code(IMPORT, q(), JSON.stringify({ UserID: "owner", Nick: "O" }))).toBe(0);
    expect(sandbox.state().accounts.filter((a) => a === "owner")).toHaveLength(1);
    expect(await code(IMPORT, q(), JSON.stringify({ UserID: "u".repeat(33) }))).toBe(70402);
  });
});

describe("faults and control", () => {
  // The rate windows are per second of the sandbox's clock: stopped here, so every request falls
  // into one window however long the machine takes to send them all.
  const stoppedClock = () => {
    const at = Date.now();
    return { now: () => at };
  };
  const createIn = (im: ImSandbox, groupId: string) =>
    rawCall(im, CREATE, validQuery(APP), JSON.stringify({ Type: "Public", Name: "n", GroupId: groupId })).then((r) => r.json["ErrorCode"]);

  it("enforces a configured create_group rate limit with 10006", async () => {
    const limited = await startTencentImSandbox({ apps: [APP], clock: stoppedClock(), faults: { rateLimits: [{ operation: "create_group", perSecond: 3 }] } });
    try {
      const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => createIn(limited, `r${i}`)));
      expect(codes.filter((c) => c === 0)).toHaveLength(3);
      expect(codes.filter((c) => c === 10006)).toHaveLength(5);
      expect(limited.state().counters.throttled).toBe(5);
      expect(limited.state().groups).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it("enforces the documented 200/s on create_group by default", async () => {
    const fresh = await startTencentImSandbox({ apps: [APP], clock: stoppedClock() });
    try {
      const codes = await Promise.all(Array.from({ length: 230 }, (_, i) => createIn(fresh, `d${i}`)));
      expect(codes.filter((c) => c === 0)).toHaveLength(200);
      expect(codes.filter((c) => c === 10006)).toHaveLength(30);
    } finally {
      await fresh.close();
    }
  });

  it("answers an injected 502 with HTTP 502 and no effect", async () => {
    await importAccounts("owner");
    sandbox.faults.configure({ rules: [{ operation: "create_group", kind: "error", error: { status: 502, code: 502 } }] });
    const transport = createHttpTransport();
    try {
      const params = new URLSearchParams(validQuery(APP) as Record<string, string>);
      const res = await transport.send(
        { method: "POST", url: `${sandbox.url}${CREATE}?${params.toString()}`, headers: {}, body: JSON.stringify({ Type: "Public", Name: "n", GroupId: "x" }) },
        { timeoutMs: 2000 },
      );
      expect(res.status).toBe(502);
    } finally {
      transport.close();
    }
    expect(sandbox.state().groups).toEqual([]);
  });

  it("is steered over HTTP: POST /__sandbox/faults, GET /__sandbox/state, foreign groups", async () => {
    const post = async (path: string, body: unknown) => rawCall(sandbox, `/__sandbox/${path}`, {}, JSON.stringify(body));
    expect((await post("faults", { rules: [{ operation: "account_import", kind: "error", error: { code: 60018 }, times: 1 }] })).status).toBe(200);
    expect(await code(IMPORT, validQuery(APP), JSON.stringify({ UserID: "x" }))).toBe(60018);
    expect(await code(IMPORT, validQuery(APP), JSON.stringify({ UserID: "x" }))).toBe(0);
    expect((await post("foreign-group", { groupId: "t-9", type: "Public", ownerAccount: "mallory", name: "theirs" })).status).toBe(200);
    expect((await post("faults", { rules: [{ kind: "explode" }] })).status).toBe(400);
    const state = await rawCall(sandbox, "/__sandbox/state", {}, "", "GET");
    expect(state.json).toMatchObject({ accounts: ["x", "mallory"], groups: [{ groupId: "t-9", owner: "mallory" }], counters: { calls: { account_import: 2 } } });

    // A garbled answer: HTTP 200 with the rule's raw body, the call without effect.
    expect((await post("faults", { rules: [{ operation: "account_import", kind: "garbled", body: '{"odd":true}', times: 1 }] })).status).toBe(200);
    expect(await rawCall(sandbox, IMPORT, validQuery(APP), JSON.stringify({ UserID: "y" }))).toEqual({ status: 200, json: { odd: true } });
    expect(sandbox.state().accounts).not.toContain("y");
    expect((await post("faults", { rules: [{ kind: "garbled", body: 7 }] })).status).toBe(400);
  });

  it("close() ends hung connections", async () => {
    const hung = await startTencentImSandbox({ apps: [APP], faults: { rules: [{ kind: "hang" }] } });
    const pending = rawCall(hung, IMPORT, validQuery(APP), JSON.stringify({ UserID: "x" })).catch((e: unknown) => e);
    // Wait until the sandbox holds the call (not a fixed time: a slow machine may not be there yet).
    while ((hung.state().counters.calls["account_import"] ?? 0) === 0) await new Promise((r) => setTimeout(r, 5));
    await hung.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});

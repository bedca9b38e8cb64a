/**
 * multiaccount_import, modify_group_base_info and add_group_member in the sandbox: hand-made
 * requests over real HTTP, one broken rule at a time, each answered with IM's documented code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/server.ts";
import type { ImSandbox } from "../../../src/sandbox/tencent-im/types.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { APP, rawCall, validQuery } from "./harness.ts";

const MULTI_IMPORT = "/v4/im_open_login_svc/multiaccount_import";
const CREATE = "/v4/group_open_http_svc/create_group";
const MODIFY = "/v4/group_open_http_svc/modify_group_base_info";
const ADD = "/v4/group_open_http_svc/add_group_member";
const DESTROY = "/v4/group_open_http_svc/destroy_group";

let sandbox: ImSandbox;
beforeAll(async () => {
  sandbox = await startTencentImSandbox({ apps: [{ ...APP, appDefinedDataKeys: ["Plan"] }], maxAccounts: 150 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.faults.configure({});
});

async function answer(path: string, body: unknown, target: ImSandbox = sandbox): Promise<Record<string, unknown>> {
  const { status, json } = await rawCall(target, path, validQuery(APP), JSON.stringify(body));
  expect(status).toBe(200);
  expect(json["ActionStatus"]).toBe(json["ErrorCode"] === 0 ? "OK" : "FAIL");
  return json;
}

async function code(path: string, body: unknown): Promise<unknown> {
  return (await answer(path, body))["ErrorCode"];
}

const ids = (n: number, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const group = () => sandbox.state().groups.find((g) => g.groupId === "g1");

describe("multiaccount_import", () => {
  it("imports the AccountList form and the older Accounts form, and answers an empty FailAccounts", async () => {
    expect(await answer(MULTI_IMPORT, { AccountList: [{ UserID: "alice", Nick: "Alice" }, { UserID: "bob" }] })).toMatchObject({ ErrorCode: 0, FailAccounts: [] });
    expect(await answer(MULTI_IMPORT, { Accounts: ["carol"] })).toMatchObject({ ErrorCode: 0, FailAccounts: [] });
    expect(sandbox.state().accounts.sort()).toEqual(["alice", "bob", "carol"]);
  });

  it("updates existing accounts (idempotent)", async () => {
    expect(await code(MULTI_IMPORT, { AccountList: [{ UserID: "alice" }] })).toBe(0);
    expect(await code(MULTI_IMPORT, { AccountList: [{ UserID: "alice", Nick: "A" }] })).toBe(0);
    expect(sandbox.state().accounts).toEqual(["alice"]);
  });

  it.each([
    ["no list", {}],
    ["an empty AccountList", { AccountList: [] }],
    ["101 accounts", { AccountList: ids(101).map((UserID) => ({ UserID })) }],
    ["a UserID over 32 bytes", { AccountList: [{ UserID: "u".repeat(33) }] }],
    ["an empty UserID", { AccountList: [{ UserID: "" }] }],
    ["a non-object entry", { AccountList: ["alice"] }],
    ["Accounts that is not an array", { Accounts: "alice" }],
  ])("refuses %s with 70402 and imports nothing", async (_label, body) => {
    expect(await code(MULTI_IMPORT, body)).toBe(70402);
    expect(sandbox.state().accounts).toEqual([]);
  });

  it("accepts exactly 100 accounts", async () => {
    expect(await code(MULTI_IMPORT, { AccountList: ids(100).map((UserID) => ({ UserID })) })).toBe(0);
    expect(sandbox.state().accounts).toHaveLength(100);
  });

  it("answers 70398 when the app's account quota would be exceeded, importing none of the call", async () => {
    expect(await code(MULTI_IMPORT, { AccountList: ids(100, "a").map((UserID) => ({ UserID })) })).toBe(0);
    expect(await code(MULTI_IMPORT, { AccountList: ids(51, "b").map((UserID) => ({ UserID })) })).toBe(70398);
    expect(sandbox.state().accounts).toHaveLength(100);
    // Re-importing existing accounts takes no quota.
    expect(await code(MULTI_IMPORT, { AccountList: ids(100, "a").map((UserID) => ({ UserID })) })).toBe(0);
  });

  it("lists an account failed by a per-item fault in FailAccounts and does not import it", async () => {
    sandbox.faults.configure({ rules: [{ operation: "multiaccount_import.account", kind: "error", resource: "bob" }] });
    expect(await answer(MULTI_IMPORT, { AccountList: [{ UserID: "alice" }, { UserID: "bob" }] })).toMatchObject({ ErrorCode: 0, FailAccounts: ["bob"] });
    expect(sandbox.state().accounts).toEqual(["alice"]);
  });

  it("takes per-item fault rules over the HTTP control API too", async () => {
    const { status } = await rawCall(sandbox, "/__sandbox/faults", {}, JSON.stringify({ rules: [{ operation: "multiaccount_import.account", kind: "error", resource: "bob", times: 1 }] }));
    expect(status).toBe(200);
    expect(await answer(MULTI_IMPORT, { Accounts: ["bob"] })).toMatchObject({ FailAccounts: ["bob"] });
    expect(await answer(MULTI_IMPORT, { Accounts: ["bob"] })).toMatchObject({ FailAccounts: [] });
  });

  it("a fault rule for every operation does not fail single accounts", async () => {
    sandbox.faults.configure({ rules: [{ operation: "get_group_info", kind: "error", error: { code: 10002 } }, { kind: "error", resource: "nobody", error: { code: 10002 } }] });
    expect(await answer(MULTI_IMPORT, { AccountList: [{ UserID: "alice" }] })).toMatchObject({ FailAccounts: [] });
  });
});

describe("modify_group_base_info", () => {
  beforeEach(async () => {
    expect(await code(MULTI_IMPORT, { AccountList: [{ UserID: "owner" }] })).toBe(0);
    expect(await code(CREATE, { Type: "Public", Name: "Acme", GroupId: "g1", Owner_Account: "owner", Introduction: "intro" })).toBe(0);
  });

  it("changes the given fields and keeps the others", async () => {
    expect(
      await code(MODIFY, { GroupId: "g1", Name: "Acme 2", Notification: "hello", FaceUrl: "https://x.example/f.png", ApplyJoinOption: "FreeAccess", MuteAllMember: "On", AppDefinedData: [{ Key: "Plan", Value: "pro" }] }),
    ).toBe(0);
    expect(group()).toMatchObject({ name: "Acme 2", introduction: "intro", notification: "hello", faceUrl: "https://x.example/f.png", applyJoinOption: "FreeAccess", muteAllMember: "On", appDefinedData: [{ key: "Plan", value: "pro" }] });
  });

  it("accepts the limits exactly: Name 30 bytes, Introduction 240, Notification 300, FaceUrl 100", async () => {
    expect(await code(MODIFY, { GroupId: "g1", Name: "群".repeat(10), Introduction: "i".repeat(240), Notification: "n".repeat(300), FaceUrl: "f".repeat(100) })).toBe(0);
  });

  it.each([
    ["no GroupId", { Name: "x" }, 10004],
    ["a Name over 30 bytes", { GroupId: "g1", Name: "群".repeat(11) }, 10004],
    ["an empty Name", { GroupId: "g1", Name: "" }, 10004],
    ["an Introduction over 240 bytes", { GroupId: "g1", Introduction: "a".repeat(241) }, 10004],
    ["a Notification over 300 bytes", { GroupId: "g1", Notification: "a".repeat(301) }, 10004],
    ["a FaceUrl over 100 bytes", { GroupId: "g1", FaceUrl: "a".repeat(101) }, 10004],
    ["an unknown ApplyJoinOption", { GroupId: "g1", ApplyJoinOption: "Anyone" }, 10004],
    ["a MuteAllMember other than On/Off", { GroupId: "g1", MuteAllMember: "Yes" }, 10004],
    ["a MaxMemberNum below the member count", { GroupId: "g1", MaxMemberNum: 0 }, 10004],
    ["an AppDefinedData key not enabled", { GroupId: "g1", AppDefinedData: [{ Key: "Other", Value: "x" }] }, 10004],
    ["a group that never existed", { GroupId: "nope", Name: "x" }, 10015],
  ])("refuses %s and changes nothing", async (_label, body, expected) => {
    const before = group();
    expect(await code(MODIFY, { Introduction: "changed", ...body })).toBe(expected);
    expect(group()).toEqual(before);
  });

  it("answers 10010 for a destroyed group", async () => {
    expect(await code(DESTROY, { GroupId: "g1" })).toBe(0);
    expect(await code(MODIFY, { GroupId: "g1", Name: "x" })).toBe(10010);
  });
});

describe("add_group_member", () => {
  beforeEach(async () => {
    expect(await code(MULTI_IMPORT, { AccountList: ["owner", "bob", "carol", ...ids(21)].map((UserID) => ({ UserID })) })).toBe(0);
    expect(await code(CREATE, { Type: "Public", Name: "Acme", GroupId: "g1", Owner_Account: "owner", MaxMemberCount: 4 })).toBe(0);
  });

  it("adds members and answers Result 1 for added, 2 for already a member", async () => {
    expect(await answer(ADD, { GroupId: "g1", Silence: 1, MemberList: [{ Member_Account: "bob" }, { Member_Account: "owner" }] })).toMatchObject({
      ErrorCode: 0,
      MemberList: [
        { Member_Account: "bob", Result: 1 },
        { Member_Account: "owner", Result: 2 },
      ],
    });
    expect(group()?.members).toEqual(["owner", "bob"]);
  });

  it("answers Result 0 for a member failed by a per-item fault, and leaves him out", async () => {
    sandbox.faults.configure({ rules: [{ operation: "add_group_member.member", kind: "error", resource: "carol" }] });
    expect(await answer(ADD, { GroupId: "g1", MemberList: [{ Member_Account: "bob" }, { Member_Account: "carol" }] })).toMatchObject({
      MemberList: [
        { Member_Account: "bob", Result: 1 },
        { Member_Account: "carol", Result: 0 },
      ],
    });
    expect(group()?.members).toEqual(["owner", "bob"]);
  });

  it.each([
    ["no GroupId", { MemberList: [{ Member_Account: "bob" }] }, 10004],
    ["an empty MemberList", { GroupId: "g1", MemberList: [] }, 10004],
    ["a malformed member", { GroupId: "g1", MemberList: [{ Account: "bob" }] }, 10004],
    ["Silence other than 0/1", { GroupId: "g1", Silence: 2, MemberList: [{ Member_Account: "bob" }] }, 10004],
    ["21 members in one call", { GroupId: "g1", MemberList: ids(21).map((Member_Account) => ({ Member_Account })) }, 10005],
    ["a member that is not imported", { GroupId: "g1", MemberList: [{ Member_Account: "bob" }, { Member_Account: "ghost" }] }, 10019],
    ["more members than MaxMemberNum allows", { GroupId: "g1", MemberList: ["bob", "carol", "u0", "u1"].map((Member_Account) => ({ Member_Account })) }, 10014],
    ["a group that never existed", { GroupId: "nope", MemberList: [{ Member_Account: "bob" }] }, 10015],
  ])("refuses %s and adds no one", async (_label, body, expected) => {
    expect(await code(ADD, body)).toBe(expected);
    expect(group()?.members).toEqual(["owner"]);
  });

  it("refuses an AVChatRoom with 10007", async () => {
    expect(await code(CREATE, { Type: "AVChatRoom", Name: "Live", GroupId: "live", Owner_Account: "owner" })).toBe(0);
    expect(await code(ADD, { GroupId: "live", MemberList: [{ Member_Account: "bob" }] })).toBe(10007);
  });

  it("answers 10010 for a destroyed group", async () => {
    expect(await code(DESTROY, { GroupId: "g1" })).toBe(0);
    expect(await code(ADD, { GroupId: "g1", MemberList: [{ Member_Account: "bob" }] })).toBe(10010);
  });
});

describe("rate limits per command", () => {
  it("allows 100 multiaccount_import calls per second (10006 beyond), and 200 of modify_group_base_info", async () => {
    // A frozen clock: every call falls into the same second.
    const clock = new FakeClock(Date.now());
    const frozen = await startTencentImSandbox({ apps: [APP], clock });
    try {
      const imports = [];
      for (let i = 0; i < 101; i++) imports.push((await answer(MULTI_IMPORT, { AccountList: [{ UserID: "owner" }] }, frozen))["ErrorCode"]);
      expect(imports.filter((c) => c === 0)).toHaveLength(100);
      expect(imports.at(-1)).toBe(10006);

      expect((await answer(CREATE, { Type: "Public", Name: "Acme", GroupId: "g1", Owner_Account: "owner" }, frozen))["ErrorCode"]).toBe(0);
      const modifies = [];
      for (let i = 0; i < 201; i++) modifies.push((await answer(MODIFY, { GroupId: "g1", Name: `n${i}` }, frozen))["ErrorCode"]);
      expect(modifies.filter((c) => c === 0)).toHaveLength(200);
      expect(modifies.at(-1)).toBe(10006);

      // The next second starts a new window.
      clock.advance(1_000);
      expect((await answer(MULTI_IMPORT, { AccountList: [{ UserID: "owner" }] }, frozen))["ErrorCode"]).toBe(0);
    } finally {
      await frozen.close();
    }
  });
});

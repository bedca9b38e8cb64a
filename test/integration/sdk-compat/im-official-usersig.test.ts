/**
 * The IM sandbox accepts UserSigs made by Tencent's official Node library (`tls-sig-api-v2`
 * 1.0.2, unmodified) for every command the service calls, and refuses the ones IM refuses:
 * another app's key, an expired UserSig, an identifier that is not the app admin.
 */
import { Api } from "tls-sig-api-v2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/server.ts";
import type { ImSandbox } from "../../../src/sandbox/tencent-im/types.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { APP, OTHER_APP, rawCall, validQuery } from "../tencent-im/harness.ts";

const GROUP_ID = "tenant-usersig-lib";
const OWNER = "owner-1";
const official = new Api(APP.sdkAppId, APP.secretKey);

let sandbox: ImSandbox;
beforeAll(async () => {
  sandbox = await startTencentImSandbox({ apps: [APP, OTHER_APP] });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

/** Calls `command` with a UserSig from the official library; returns IM's ErrorCode and answer. */
async function call(
  path: string,
  body: Record<string, unknown>,
  options: { identifier?: string; usersig?: string; target?: ImSandbox } = {},
): Promise<{ code: unknown; json: Record<string, unknown> }> {
  const identifier = options.identifier ?? APP.adminIdentifier;
  const usersig = options.usersig ?? official.genUserSig(identifier, 86_400);
  const { status, json } = await rawCall(options.target ?? sandbox, path, validQuery(APP, { identifier, usersig }), JSON.stringify(body));
  expect(status).toBe(200);
  return { code: json["ErrorCode"], json };
}

const IMPORT = "/v4/im_open_login_svc/account_import";
const CREATE = "/v4/group_open_http_svc/create_group";
const GET = "/v4/group_open_http_svc/get_group_info";
const DESTROY = "/v4/group_open_http_svc/destroy_group";

describe("tls-sig-api-v2 UserSigs for the app admin are accepted", () => {
  it("account_import imports the account", async () => {
    expect((await call(IMPORT, { UserID: OWNER })).code).toBe(0);
    expect(sandbox.state().accounts).toEqual([OWNER]);
  });

  it("create_group creates the group", async () => {
    await call(IMPORT, { UserID: OWNER });
    expect((await call(CREATE, { Type: "Private", Name: "Acme", Owner_Account: OWNER, GroupId: GROUP_ID })).code).toBe(0);
    expect(sandbox.state().groups.map((g) => [g.groupId, g.owner])).toEqual([[GROUP_ID, OWNER]]);
  });

  it("get_group_info reads the group", async () => {
    await call(IMPORT, { UserID: OWNER });
    await call(CREATE, { Type: "Private", Name: "Acme", Owner_Account: OWNER, GroupId: GROUP_ID });
    const { code, json } = await call(GET, { GroupIdList: [GROUP_ID] });
    expect(code).toBe(0);
    expect(json["GroupInfo"]).toMatchObject([{ GroupId: GROUP_ID, ErrorCode: 0, Owner_Account: OWNER }]);
  });

  it("destroy_group removes the group", async () => {
    await call(IMPORT, { UserID: OWNER });
    await call(CREATE, { Type: "Private", Name: "Acme", Owner_Account: OWNER, GroupId: GROUP_ID });
    expect((await call(DESTROY, { GroupId: GROUP_ID })).code).toBe(0);
    expect(sandbox.state().groups).toEqual([]);
    expect(sandbox.state().destroyedGroups).toEqual([GROUP_ID]);
  });
});

describe("what IM refuses stays refused with the library's UserSigs", () => {
  it("a UserSig made with another app's key: 70009", async () => {
    const foreign = new Api(APP.sdkAppId, OTHER_APP.secretKey).genUserSig(APP.adminIdentifier, 86_400);
    expect((await call(IMPORT, { UserID: OWNER }, { usersig: foreign })).code).toBe(70009);
  });

  it("a valid UserSig of an account that is not the app admin: 70403 on account_import, 60010 on the group service", async () => {
    expect((await call(IMPORT, { UserID: OWNER }, { identifier: "bob" })).code).toBe(70403);
    expect((await call(GET, { GroupIdList: [GROUP_ID] }, { identifier: "bob" })).code).toBe(60010);
    expect(sandbox.state().accounts).toEqual([]);
  });

  it("a UserSig past its expiry: 70001", async () => {
    const later = await startTencentImSandbox({ apps: [APP], clock: new FakeClock(Date.now() + 120_000) });
    try {
      const shortLived = official.genUserSig(APP.adminIdentifier, 60);
      expect((await call(IMPORT, { UserID: OWNER }, { usersig: shortLived, target: later })).code).toBe(70001);
    } finally {
      await later.close();
    }
  });
});

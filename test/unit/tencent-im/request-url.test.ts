import { describe, expect, it } from "vitest";
import { IM_COMMANDS, type ImCommand } from "../../../src/providers/tencent-im/constants.ts";
import { imRequestUrlBuilder } from "../../../src/providers/tencent-im/request-url.ts";

/** How the client built every URL before: a URL object and URLSearchParams per call. */
function reference(base: URL, command: ImCommand, auth: { sdkAppId: number; adminIdentifier: string; usersig: string }, random: string): string {
  const url = new URL(`v4/${IM_COMMANDS[command]}/${command}`, base);
  url.search = new URLSearchParams({ sdkappid: String(auth.sdkAppId), identifier: auth.adminIdentifier, usersig: auth.usersig, random, contenttype: "json" }).toString();
  return url.toString();
}

describe("imRequestUrlBuilder", () => {
  const bases = [new URL("https://console.tim.qq.com/"), new URL("http://127.0.0.1:31234/"), new URL("http://localhost:8080/im/")];
  const identifiers = ["administrator", "admin@example.com", "a b+c/d~e", "管理员", "x&y=z?#"];
  const usersigs = ["eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zJBEhlFhaWpQBFDAwMFiFRySmZJZpJSLQD0Yw9Q", "abc*def-ghi_jkl", "with space and %"];

  it("builds exactly the URL that URL + URLSearchParams built, for every command", () => {
    for (const base of bases) {
      const build = imRequestUrlBuilder(base);
      for (const command of Object.keys(IM_COMMANDS) as ImCommand[]) {
        for (const adminIdentifier of identifiers) {
          for (const usersig of usersigs) {
            const auth = { sdkAppId: 1400000001, adminIdentifier, usersig };
            expect(build(command, auth, "4294967295")).toBe(reference(base, command, auth, "4294967295"));
          }
        }
      }
    }
  });

  it("follows a new UserSig, app or admin at once (nothing stale is reused)", () => {
    const base = bases[0] as URL;
    const build = imRequestUrlBuilder(base);
    const first = { sdkAppId: 1, adminIdentifier: "admin", usersig: "sig-1" };
    const changes = [first, { ...first, usersig: "sig-2" }, { ...first, usersig: "sig-2", sdkAppId: 2 }, { ...first, usersig: "sig-2", sdkAppId: 2, adminIdentifier: "other" }];
    for (const auth of changes) {
      expect(build("get_group_info", auth, "7")).toBe(reference(base, "get_group_info", auth, "7"));
    }
  });
});

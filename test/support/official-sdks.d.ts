/**
 * Types for the official SDKs the compatibility tests drive that ship none. Only what the tests
 * call is declared; both are devDependencies and never reach a Lambda bundle.
 */
declare module "@alicloud/log" {
  interface AliyunLogClientConfig {
    accessKeyId: string;
    accessKeySecret: string;
    securityToken?: string;
    endpoint?: string;
    region?: string;
  }
  /** `@alicloud/log` 1.2.6 lib/client.js. It has no consumer-group methods: tests call its `_request`. */
  export default class AliyunLogClient {
    constructor(config: AliyunLogClientConfig);
    _request(
      verb: string,
      projectName: string | undefined,
      path: string,
      queries: Record<string, string>,
      body: Buffer | null,
      headers: Record<string, string | number>,
      options?: Record<string, unknown>,
    ): Promise<unknown>;
  }
}

declare module "tls-sig-api-v2" {
  /** tls-sig-api-v2 1.0.2 TLSSigAPIv2.js. */
  export class Api {
    constructor(sdkappid: number, key: string);
    genUserSig(userid: string, expire: number): string;
  }
}

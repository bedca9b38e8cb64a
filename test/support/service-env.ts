/** The smallest environment `loadConfig` accepts, for tests of the configuration. */
export const MINIMAL_SERVICE_ENV = {
  SLS_ENDPOINT: "cn-shanghai.log.aliyuncs.com",
  SLS_PROJECT: "my-project",
  SLS_LOGSTORE: "tenant_events",
  IM_DOMAIN: "adminapisgp.im.qcloud.com",
  SLS_SECRET_ID: "prod/sls",
  IM_SECRET_ID: "prod/im",
  WEBHOOK_SECRET_ID: "prod/webhook",
  OUTCOME_TABLE_NAME: "tenant-outcomes",
};

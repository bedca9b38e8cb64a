/**
 * The inputs of a chaos run in the shapes AWS hands them to the handlers: EventBridge
 * `TenantSignedUp` events as SQS message bodies, and Standard Webhooks requests as API Gateway
 * HTTP API (payload v2) events, signed with the reference implementation (`standardwebhooks`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Webhook } from "standardwebhooks";

/** A tenant-onboarding request as the signup form would send it (without `source`). */
export interface ChaosTenant {
  tenantId: string;
  displayName: string;
  admin: { userId: string; name: string };
  members?: { userId: string; role?: "Admin" }[];
  imGroup?: { introduction?: string; notification?: string; applyJoinOption?: "FreeAccess" | "NeedPermission" | "DisableApply" };
  consumerGroup?: { timeout?: number; order?: boolean };
  requestedAt: string;
}

/**
 * The same tenant with its mutable fields changed (name, notification, a member more, consumer
 * group timeout and order), sent later: a new generation.
 */
export function updatedTenant(tenant: ChaosTenant): ChaosTenant {
  return {
    ...tenant,
    displayName: `${tenant.displayName.slice(0, 20)} v2`,
    members: [...(tenant.members ?? []), { userId: `new-${tenant.tenantId}` }],
    imGroup: { ...tenant.imGroup, notification: `Updated ${tenant.tenantId}` },
    consumerGroup: { timeout: 120, order: true },
    requestedAt: new Date(Date.parse(tenant.requestedAt) + 60_000).toISOString(),
  };
}

/** The SQS message body EventBridge writes for a `TenantOffboarded` event. */
export function offboardMessageBody(tenantId: string, requestedAt: string): string {
  return JSON.stringify({
    version: "0",
    id: randomUUID(),
    "detail-type": "TenantOffboarded",
    source: "saas.signup",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [],
    detail: { tenantId, requestedAt },
  });
}

/** Multi-byte display names (each within IM's 30-byte group name). */
const NAMES = ["Acme", "Zürich AG", "東京商事", "Café Ünal", "Ωmega", "北京数据", "Søren & Co", "서울 랩"];

/** `count` distinct valid tenants; ids are `<prefix>-<n>`. */
export function chaosTenants(count: number, prefix: string): ChaosTenant[] {
  const requestedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(4, "0");
    const tenant: ChaosTenant = {
      tenantId: `${prefix}-${n}`,
      displayName: `${NAMES[i % NAMES.length] ?? "T"} ${n}`,
      admin: { userId: `admin-${prefix}-${n}`, name: `Admin ${n}` },
      requestedAt,
    };
    if (i % 3 === 0) tenant.members = [{ userId: `ops-${prefix}-${n}`, role: "Admin" }, { userId: `dev-${prefix}-${n}` }];
    if (i % 4 === 0) tenant.imGroup = { introduction: `Workspace of tenant ${n}`, applyJoinOption: "NeedPermission" };
    return tenant;
  });
}

/** The SQS message body EventBridge writes for a `TenantSignedUp` event. */
export function signupMessageBody(tenant: ChaosTenant): string {
  return JSON.stringify({
    version: "0",
    id: randomUUID(),
    "detail-type": "TenantSignedUp",
    source: "saas.signup",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [],
    detail: tenant,
  });
}

/** The webhook body: a `tenant.created` event carrying the request in `data`. */
export function webhookBody(tenant: ChaosTenant): string {
  return JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: tenant });
}

/** Standard Webhooks headers for `body`, signed by the reference implementation. */
export function signWebhook(secret: string, body: string, options: { id?: string; timestamp?: Date } = {}): Record<string, string> {
  const id = options.id ?? `msg_${randomBytes(12).toString("base64url")}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
  };
}

/** `POST /webhooks/tenant-signup` as API Gateway HTTP API (payload v2) hands it to Lambda. */
export function webhookEvent(body: string | Buffer, headers: Record<string, string>, options: { base64?: boolean } = {}): APIGatewayProxyEventV2 {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const now = Date.now();
  const lowered: Record<string, string> = {
    "content-type": "application/json",
    "content-length": String(bytes.length),
    host: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    "user-agent": "Svix-Webhooks/1.0",
    "x-forwarded-proto": "https",
  };
  for (const [name, value] of Object.entries(headers)) lowered[name.toLowerCase()] = value;
  return {
    version: "2.0",
    routeKey: "POST /webhooks/tenant-signup",
    rawPath: "/webhooks/tenant-signup",
    rawQueryString: "",
    headers: lowered,
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "a1b2c3d4e5",
      http: { method: "POST", path: "/webhooks/tenant-signup", protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "Svix-Webhooks/1.0" },
      requestId: randomBytes(8).toString("base64url"),
      routeKey: "POST /webhooks/tenant-signup",
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: options.base64 ? bytes.toString("base64") : bytes.toString("utf8"),
    isBase64Encoded: options.base64 === true,
  };
}

import http from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { localLambdaContext } from "./lambda-context.ts";
import { closeServer, listenOnLoopback } from "./loopback.ts";

/** A route of the local HTTP API: method, a path pattern with `{param}`s, and the handler. */
export interface LocalRoute {
  method: "GET" | "POST" | "DELETE";
  path: string;
  functionName: string;
  timeoutMs: number;
  /** Stands in for API Gateway's IAM authorizer: loopback callers count as authorised operators. */
  iamAuthorizer?: boolean;
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;
}

/** Largest body the adapter reads; API Gateway's own limit is 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The request itself is malformed (answered 400 before any handler runs). */
class BadRequest extends Error {
  override name = "BadRequest";
}

/** A path parameter, percent-decoded; malformed percent-encoding is a {@link BadRequest}. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest("a path segment is not valid percent-encoding");
  }
}

function reply(res: http.ServerResponse, statusCode: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(statusCode, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * Serves Lambda handlers over HTTP on 127.0.0.1 the way an API Gateway HTTP API (payload v2)
 * would call them: headers lowercased, a binary body base64-encoded, path parameters filled in.
 *
 * Written here instead of running serverless-offline: the local stack already runs every
 * stand-in in one process, and this is the ~100 lines of the v2 event shape we need, without
 * starting the Serverless Framework.
 *
 * @example
 * ```ts
 * const api = await startLocalHttpApi([{ method: "POST", path: "/webhooks/tenant-signup", functionName: "webhook", timeoutMs: 29_000, handler }], 3000);
 * ```
 */
export async function startLocalHttpApi(routes: LocalRoute[], port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const matchers = routes.map((route) => ({
    route,
    names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
    pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, "([^/]+)")}$`),
  }));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A client that goes away mid-request must not take the process with it.
    req.on("error", () => req.destroy());
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return reply(res, 413, { message: "Request Entity Too Large" });
      let event: { route: LocalRoute; event: APIGatewayProxyEventV2 } | "not-found";
      try {
        event = toEvent(req, Buffer.concat(chunks));
      } catch (error) {
        // API Gateway answers a malformed request (bad percent-encoding, a bad URL) itself: 400.
        if (error instanceof BadRequest) return reply(res, 400, { message: "Bad Request", rule: error.message });
        return reply(res, 500, { message: "Internal Server Error" });
      }
      if (event === "not-found") return reply(res, 404, { message: "Not Found" });
      const { route } = event;
      // Through a promise, so even a handler that throws before returning one cannot escape.
      Promise.resolve()
        .then(() => route.handler(event.event, localLambdaContext(route.functionName, route.timeoutMs)))
        .then((result) => {
          res.writeHead(result?.statusCode ?? 200, (result?.headers as Record<string, string>) ?? {});
          res.end(result?.body ?? "");
        })
        .catch(() => reply(res, 502, { message: "Internal Server Error" }));
    });
  });

  /** The v2 event API Gateway would build for `req`, or not-found; throws {@link BadRequest}. */
  function toEvent(req: http.IncomingMessage, body: Buffer): { route: LocalRoute; event: APIGatewayProxyEventV2 } | "not-found" {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      throw new BadRequest("the request target is not a valid URL");
    }
    const match = matchers
      .map((m) => ({ m, hit: m.route.method === req.method ? m.pattern.exec(url.pathname) : null }))
      .find((x) => x.hit);
    if (!match?.hit) return "not-found";
    const { route, names } = match.m;
    const hit = match.hit;
    const pathParameters = Object.fromEntries(names.map((n, i) => [n, decodePathSegment(hit[i + 1] ?? "")]));
    const isText = /json|text|xml|form/.test(String(req.headers["content-type"] ?? ""));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: "2.0",
      routeKey: `${route.method} ${route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      pathParameters,
      requestContext: {
        accountId: "000000000000",
        apiId: "local",
        domainName: String(req.headers.host ?? "localhost"),
        domainPrefix: "local",
        http: { method: route.method, path: url.pathname, protocol: "HTTP/1.1", sourceIp: req.socket.remoteAddress ?? "", userAgent: String(req.headers["user-agent"] ?? "") },
        requestId: `local-${now.getTime()}-${Math.random().toString(36).slice(2)}`,
        routeKey: `${route.method} ${route.path}`,
        stage: "$default",
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        ...(route.iamAuthorizer
          ? { authorizer: { iam: { accessKey: "LOCAL", accountId: "000000000000", callerId: "local-operator", principalOrgId: null, userArn: "arn:aws:iam::000000000000:user/local-operator", userId: "local-operator" } } }
          : {}),
      },
      ...(body.length > 0 ? { body: isText ? body.toString("utf8") : body.toString("base64") } : {}),
      isBase64Encoded: body.length > 0 && !isText,
    };
    return { route, event };
  }
  const boundPort = await listenOnLoopback(server, port);
  return {
    url: `http://127.0.0.1:${boundPort}`,
    close: () => closeServer(server, "all"),
  };
}

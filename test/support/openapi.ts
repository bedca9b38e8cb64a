/**
 * The published OpenAPI description (`openapi/http-api.yaml`) as a test oracle: validated once
 * with `@apidevtools/swagger-parser` (which checks OpenAPI 3.1 documents against their schema
 * and resolves the `$ref`s), and each reply a test gets from a handler checked against the
 * response schema of its route and status code with Ajv (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1). A reply whose status is not described, or whose body does not match, fails the test.
 */
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { OpenAPIV3_1 } from "openapi-types";

export const OPENAPI_FILE = join(import.meta.dirname, "../../openapi/http-api.yaml");

type Method = "get" | "post" | "delete";

let loaded: Promise<OpenAPIV3_1.Document> | undefined;
const validators = new Map<string, ValidateFunction>();
// strictRequired off: `not: { required: [x] }` (the SUCCEEDED step rule) names a property defined beside it.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
// ajv-formats is CommonJS with `exports.default`: take the function whichever way it arrives.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => void;
addFormats(ajv);

/**
 * The description, validated and dereferenced (once per test file).
 *
 * @example
 * ```ts
 * const api = await openApi();
 * ```
 */
export function openApi(): Promise<OpenAPIV3_1.Document> {
  loaded ??= SwaggerParser.validate(OPENAPI_FILE) as Promise<OpenAPIV3_1.Document>;
  return loaded;
}

/**
 * Fails unless `reply` is described for `method path` (its status code, a JSON content type)
 * and its body matches the described schema.
 *
 * @example
 * ```ts
 * await expectReplyMatchesOpenApi("get", "/tenants/{tenantId}", reply);
 * ```
 */
export async function expectReplyMatchesOpenApi(method: Method, path: string, reply: APIGatewayProxyStructuredResultV2): Promise<void> {
  const api = await openApi();
  const status = String(reply.statusCode);
  const where = `${method.toUpperCase()} ${path} → ${status}`;
  const operation = api.paths?.[path]?.[method] as OpenAPIV3_1.OperationObject | undefined;
  if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not described in ${OPENAPI_FILE}`);
  const response = operation.responses?.[status] as OpenAPIV3_1.ResponseObject | undefined;
  if (!response) throw new Error(`${where}: status not described (described: ${Object.keys(operation.responses ?? {}).join(", ")})`);
  const contentType = String((reply.headers ?? {})["content-type"] ?? "");
  const media = response.content?.[contentType];
  if (!media?.schema) throw new Error(`${where}: content type ${contentType || "(none)"} not described`);
  // Headers the description requires (e.g. a 503's Retry-After) are present and match their schema.
  const replyHeaders = Object.fromEntries(Object.entries(reply.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, OpenAPIV3_1.HeaderObject>)) {
    const value = replyHeaders[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) throw new Error(`${where}: required header ${name} missing`);
      continue;
    }
    const headerKey = `${method} ${path} ${status} header ${name}`;
    let check = validators.get(headerKey);
    if (!check) {
      check = ajv.compile((header.schema ?? {}) as object);
      validators.set(headerKey, check);
    }
    if (!check(value)) throw new Error(`${where}: header ${name} does not match the described schema: ${ajv.errorsText(check.errors)}`);
  }
  const key = `${method} ${path} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(media.schema as object);
    validators.set(key, validate);
  }
  const body: unknown = JSON.parse(reply.body ?? "null");
  if (!validate(body)) {
    throw new Error(`${where}: body does not match the described schema: ${ajv.errorsText(validate.errors)}\n${(reply.body ?? "").slice(0, 500)}`);
  }
}

/**
 * IAM evaluation of a packaged CloudFormation template, as far as the service's roles need it:
 * intrinsics resolved to the concrete names and ARNs the stack would have in one account and
 * region, each function's role statements, and IAM's own matching rules for actions (case-
 * insensitive, `*` / `?`) and resource ARNs (`*` / `?`, so `table/t` is not `table/t/index/i`,
 * and a secret's ARN carries the random `-XXXXXX` suffix Secrets Manager appends to its name).
 * Explicit Deny wins. Of conditions, `dynamodb:LeadingKeys` with ForAllValues:StringLike /
 * StringEquals is evaluated (the partition key values of the request); an Allow with any other
 * condition does not count as granting, and NotAction / NotResource are refused.
 */
import { createHash } from "node:crypto";
import type { ResourceKind } from "./aws-calls.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Obj;
}
/** The part of a CloudFormation template the audit reads. */
export interface Template {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, { Default?: Json }>;
}

/** Where the resolved stack lives. */
export interface StackPlace {
  region: string;
  account: string;
  stackName: string;
}

/** One policy statement, its action and resource lists resolved. */
export interface ResolvedStatement {
  sid: string;
  effect: "Allow" | "Deny";
  actions: string[];
  resources: string[];
  /** The statement's Condition block, resolved; absent when it has none. */
  condition?: Record<string, Record<string, string[]>>;
}

/** What a request carries for condition keys (what the audit can know of it). */
export interface RequestContext {
  /** `dynamodb:LeadingKeys`: the partition key values the request touches, when known. */
  leadingKeys?: string[];
}

/** The verdict on one (action, resource) for a role. */
export interface Decision {
  allowed: boolean;
  /** Which statement allowed it, or why it is denied. */
  reason: string;
}

const asList = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * IAM's string matching: `*` any run of characters, `?` exactly one; actions compare
 * case-insensitively, resources case-sensitively.
 *
 * @example
 * ```ts
 * iamMatches("arn:aws:dynamodb:r:a:table/t/index/*", "arn:aws:dynamodb:r:a:table/t"); // false
 * ```
 */
export function iamMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/**
 * Evaluates a Condition block for the keys the audit knows: true, false, or why it cannot say.
 * `ForAllValues:` holds when every request value matches one of the listed values (IAM holds it
 * for an empty set too, so an unknown set is not evaluated).
 */
function conditionHolds(condition: Record<string, Record<string, string[]>>, request: RequestContext): boolean | string {
  for (const [operator, keys] of Object.entries(condition)) {
    for (const [key, patterns] of Object.entries(keys)) {
      if (key !== "dynamodb:LeadingKeys") return `the audit does not evaluate condition key ${key}`;
      const like = operator === "ForAllValues:StringLike";
      if (!like && operator !== "ForAllValues:StringEquals") return `the audit does not evaluate ${operator} on ${key}`;
      if (!request.leadingKeys?.length) return "the call's partition key was not recorded";
      const matches = (value: string) => patterns.some((p) => (like ? iamMatches(p, value) : p === value));
      if (!request.leadingKeys.every(matches)) return false;
    }
  }
  return true;
}

/** The 6-character suffix Secrets Manager would append to a secret's name (stable per name here). */
function secretSuffix(name: string): string {
  return createHash("sha256").update(name).digest("base64url").replace(/[-_]/g, "x").slice(0, 6);
}

/**
 * A packaged template, resolved in one account and region.
 *
 * @example
 * ```ts
 * const stack = new ResolvedStack(template, { region: "eu-central-1", account: "123456789012", stackName: "tp-ci" });
 * stack.decide("WebhookRole", "dynamodb:DeleteItem", stack.targetArn("dynamodb-table", "tp-ci-outcomes"));
 * ```
 */
export class ResolvedStack {
  readonly #template: Template;
  readonly #place: StackPlace;

  constructor(template: Template, place: StackPlace) {
    this.#template = template;
    this.#place = place;
  }

  resource(id: string): Resource {
    const r = this.#template.Resources[id];
    if (!r) throw new Error(`template has no resource ${id}`);
    return r;
  }

  /** `resources of a type`, by logical id. */
  ofType(type: string): [string, Resource][] {
    return Object.entries(this.#template.Resources).filter(([, r]) => r.Type === type);
  }

  #prop(id: string, name: string): string {
    const value = this.resource(id).Properties?.[name];
    if (value === undefined) throw new Error(`${id} has no ${name}: the audit needs explicit names`);
    return this.value(value);
  }

  /** What `Ref` of a resource gives. */
  #ref(id: string): string {
    const { region: R, account: A } = this.#place;
    if (id === "AWS::Partition") return "aws";
    if (id === "AWS::Region") return R;
    if (id === "AWS::AccountId") return A;
    if (id === "AWS::StackName") return this.#place.stackName;
    if (id === "AWS::URLSuffix") return "amazonaws.com";
    const parameter = this.#template.Parameters?.[id];
    if (parameter) return this.value(parameter.Default ?? "");
    const r = this.resource(id);
    switch (r.Type) {
      case "AWS::DynamoDB::Table":
        return this.#prop(id, "TableName");
      case "AWS::SQS::Queue":
        return `https://sqs.${R}.amazonaws.com/${A}/${this.#prop(id, "QueueName")}`;
      case "AWS::SecretsManager::Secret": {
        const name = this.#prop(id, "Name");
        return `arn:aws:secretsmanager:${R}:${A}:secret:${name}-${secretSuffix(name)}`;
      }
      case "AWS::SNS::Topic":
        return `arn:aws:sns:${R}:${A}:${this.#prop(id, "TopicName")}`;
      case "AWS::Logs::LogGroup":
        return this.#prop(id, "LogGroupName");
      case "AWS::Lambda::Function":
        return this.#prop(id, "FunctionName");
      case "AWS::Events::EventBus":
        return this.#prop(id, "Name");
      default:
        return id;
    }
  }

  /** What `Fn::GetAtt` of a resource gives. */
  #getAtt(id: string, attribute: string): string {
    const { region: R, account: A } = this.#place;
    const r = this.resource(id);
    const key = `${r.Type}.${attribute}`;
    switch (key) {
      case "AWS::DynamoDB::Table.Arn":
        return `arn:aws:dynamodb:${R}:${A}:table/${this.#ref(id)}`;
      case "AWS::SQS::Queue.Arn":
        return `arn:aws:sqs:${R}:${A}:${this.#prop(id, "QueueName")}`;
      case "AWS::SQS::Queue.QueueName":
        return this.#prop(id, "QueueName");
      case "AWS::SQS::Queue.QueueUrl":
        return this.#ref(id);
      case "AWS::SecretsManager::Secret.Id":
        return this.#ref(id);
      case "AWS::SNS::Topic.TopicArn":
        return this.#ref(id);
      case "AWS::IAM::Role.Arn":
        return `arn:aws:iam::${A}:role/${id}`;
      case "AWS::Lambda::Function.Arn":
        return `arn:aws:lambda:${R}:${A}:function:${this.#ref(id)}`;
      case "AWS::Logs::LogGroup.Arn":
        return `arn:aws:logs:${R}:${A}:log-group:${this.#ref(id)}:*`;
      case "AWS::Events::EventBus.Arn":
        return `arn:aws:events:${R}:${A}:event-bus/${this.#ref(id)}`;
      case "AWS::Events::EventBus.Name":
        return this.#ref(id);
      case "AWS::Events::Rule.Arn":
        return `arn:aws:events:${R}:${A}:rule/${id}`;
      default:
        throw new Error(`the audit cannot resolve Fn::GetAtt ${id}.${attribute} (${r.Type}); add it to test/support/iam/policy.ts`);
    }
  }

  /** A template value with its intrinsics resolved to a string. */
  value(node: Json): string {
    if (typeof node === "string") return node;
    if (typeof node === "number" || typeof node === "boolean") return String(node);
    if (!isObj(node)) throw new Error(`cannot resolve ${JSON.stringify(node)}`);
    const [fn, arg] = Object.entries(node)[0] ?? [];
    if (fn === "Ref" && typeof arg === "string") return this.#ref(arg);
    if (fn === "Fn::GetAtt") {
      const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/);
      return this.#getAtt(id!, attribute!);
    }
    if (fn === "Fn::Join" && Array.isArray(arg)) return asList(arg[1]).map((v) => this.value(v)).join(String(arg[0]));
    if (fn === "Fn::Sub") {
      const [text, vars] = Array.isArray(arg) ? [String(arg[0]), (arg[1] ?? {}) as Obj] : [String(arg), {} as Obj];
      return text.replace(/\$\{(!?)([^}]+)\}/g, (_m, literal: string, name: string) => {
        if (literal) return `\${${name}}`;
        if (vars[name] !== undefined) return this.value(vars[name]!);
        const [id, attribute] = name.split(/\.(.*)/);
        return attribute ? this.#getAtt(id!, attribute) : this.#ref(id!);
      });
    }
    throw new Error(`the audit cannot resolve ${JSON.stringify(node)}; add it to test/support/iam/policy.ts`);
  }

  /** The partition (HASH) key attribute of the table a DynamoDB ARN names, if the stack defines it. */
  hashKeyOf(tableArn: string): string | undefined {
    const name = /:table\/([^/]+)$/.exec(tableArn)?.[1];
    const table = this.ofType("AWS::DynamoDB::Table").find(([id]) => this.#ref(id) === name);
    const schema = asList(table?.[1].Properties?.KeySchema) as Obj[];
    return schema.find((k) => k.KeyType === "HASH")?.AttributeName as string | undefined;
  }

  /** The logical id of the function whose handler is `handlers/<name>.handler`. */
  functionOf(handler: string): string {
    const found = this.ofType("AWS::Lambda::Function").filter(([, r]) => r.Properties?.Handler === `handlers/${handler}.handler`);
    if (found.length !== 1) throw new Error(`the template has ${found.length} functions with handler handlers/${handler}.handler`);
    return found[0]![0];
  }

  /** The logical id of a function's role. */
  roleOf(functionId: string): string {
    const role = this.resource(functionId).Properties?.Role;
    const getAtt = isObj(role) ? role["Fn::GetAtt"] : undefined;
    if (!Array.isArray(getAtt) || getAtt[1] !== "Arn") throw new Error(`${functionId}: Role is not a GetAtt of a role in the stack`);
    return String(getAtt[0]);
  }

  /** Every statement that applies to a role: its inline policies and AWS::IAM::Policy resources naming it. */
  statementsOf(roleId: string): ResolvedStatement[] {
    const role = this.resource(roleId).Properties ?? {};
    if (asList(role.ManagedPolicyArns).length) throw new Error(`${roleId}: managed policies cannot be evaluated by the audit`);
    const documents: { name: string; doc: Obj }[] = asList(role.Policies).map((p) => ({ name: String((p as Obj).PolicyName), doc: (p as Obj).PolicyDocument as Obj }));
    for (const [id, policy] of this.ofType("AWS::IAM::Policy")) {
      const roles = asList(policy.Properties?.Roles).map((r) => (isObj(r) ? r.Ref : r));
      if (roles.includes(roleId)) documents.push({ name: id, doc: policy.Properties!.PolicyDocument as Obj });
    }
    return documents.flatMap(({ name, doc }) =>
      asList(doc.Statement).map((node, i) => {
        const s = node as Obj;
        for (const unsupported of ["NotAction", "NotResource", "NotPrincipal"]) {
          if (s[unsupported] !== undefined) throw new Error(`${roleId} ${name}[${i}]: ${unsupported} is not evaluated by the audit`);
        }
        return {
          sid: `${name}/${typeof s.Sid === "string" ? s.Sid : i}`,
          effect: s.Effect === "Deny" ? "Deny" : "Allow",
          actions: asList(s.Action).map(String),
          resources: asList(s.Resource).map((r) => this.value(r)),
          ...(s.Condition === undefined ? {} : { condition: this.#condition(s.Condition) }),
        } satisfies ResolvedStatement;
      }),
    );
  }

  #condition(node: Json): Record<string, Record<string, string[]>> {
    if (!isObj(node)) throw new Error(`a Condition must be an object: ${JSON.stringify(node)}`);
    return Object.fromEntries(
      Object.entries(node).map(([operator, keys]) => [
        operator,
        Object.fromEntries(Object.entries(isObj(keys) ? keys : {}).map(([key, values]) => [key, asList(values).map((v) => this.value(v))])),
      ]),
    );
  }

  /**
   * Whether `statements` allow `action` on `arn`: an explicit Deny wins (its Condition assumed to
   * hold), then an Allow whose Condition holds (or that has none). An Allow whose Condition the
   * audit cannot evaluate does not count.
   */
  static decide(statements: readonly ResolvedStatement[], action: string, arn: string, request: RequestContext = {}): Decision {
    const applies = (s: ResolvedStatement) =>
      s.actions.some((a) => iamMatches(a, action, true)) && s.resources.some((r) => iamMatches(r, arn));
    const deny = statements.find((s) => s.effect === "Deny" && applies(s));
    if (deny) return { allowed: false, reason: `explicitly denied by ${deny.sid}` };
    const allows = statements.filter((s) => s.effect === "Allow" && applies(s));
    const verdicts = allows.map((s) => ({ s, holds: s.condition ? conditionHolds(s.condition, request) : true }));
    const granting = verdicts.find((v) => v.holds === true);
    if (granting) return { allowed: true, reason: `allowed by ${granting.s.sid}` };
    if (allows.length) {
      return { allowed: false, reason: verdicts.map((v) => `${v.s.sid}: ${v.holds === false ? "its Condition does not hold" : v.holds}`).join("; ") };
    }
    return { allowed: false, reason: "no statement of the role allows it (implicit deny)" };
  }

  /**
   * The identifier a deployed function would use where the test used `localId`: through the
   * environment variable the test's value came from (the template sets the deployed value), else
   * the only resource of that kind the function's environment names, else `localId` itself.
   */
  deployedIdentifier(functionId: string, kind: ResourceKind, localId: string, envVars: readonly string[]): string {
    const variables = (this.resource(functionId).Properties?.Environment as Obj | undefined)?.Variables as Obj | undefined;
    const known = envVars.filter((v) => variables?.[v] !== undefined);
    if (known.length) return this.value(variables![known[0]!]!);
    const types: Record<ResourceKind, string> = {
      "dynamodb-table": "AWS::DynamoDB::Table",
      secret: "AWS::SecretsManager::Secret",
      "sqs-queue": "AWS::SQS::Queue",
      "event-bus": "AWS::Events::EventBus",
    };
    const ofKind = Object.values(variables ?? {}).filter((v) => {
      const target = isObj(v) ? (v.Ref ?? (Array.isArray(v["Fn::GetAtt"]) ? v["Fn::GetAtt"][0] : undefined)) : undefined;
      return typeof target === "string" && this.#template.Resources[target]?.Type === types[kind];
    });
    if (ofKind.length === 1) return this.value(ofKind[0]!);
    return localId;
  }

  /** The ARN IAM evaluates for a call on `id` (a name, URL or ARN) of this kind. */
  targetArn(kind: ResourceKind, id: string, index?: string): string {
    const { region: R, account: A } = this.#place;
    switch (kind) {
      case "dynamodb-table": {
        const table = id.startsWith("arn:") ? id : `arn:aws:dynamodb:${R}:${A}:table/${id}`;
        return index ? `${table}/index/${index}` : table;
      }
      case "secret": {
        if (id.startsWith("arn:")) return id;
        // A name: IAM sees the full ARN, with the suffix Secrets Manager appended.
        const named = this.ofType("AWS::SecretsManager::Secret").find(([sid]) => this.#prop(sid, "Name") === id);
        return named ? this.#ref(named[0]) : `arn:aws:secretsmanager:${R}:${A}:secret:${id}-${secretSuffix(id)}`;
      }
      case "sqs-queue": {
        if (id.startsWith("arn:")) return id;
        const name = new URL(id).pathname.split("/").filter(Boolean).at(-1) ?? id;
        return `arn:aws:sqs:${R}:${A}:${name}`;
      }
      case "event-bus":
        return id.startsWith("arn:") ? id : `arn:aws:events:${R}:${A}:event-bus/${id}`;
    }
  }
}

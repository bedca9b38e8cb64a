/**
 * The IAM audit's own evaluation (test/support/iam/policy.ts, aws-calls.ts): if it matched too
 * loosely the audit would pass calls AWS refuses, so its matching rules are tested here.
 */
import { describe, expect, it } from "vitest";
import { targetsOf } from "../../support/iam/aws-calls.ts";
import { ResolvedStack, iamMatches, type ResolvedStatement, type Template } from "../../support/iam/policy.ts";

const PLACE = { region: "eu-central-1", account: "123456789012", stackName: "tp-ci" };
const TABLE_ARN = "arn:aws:dynamodb:eu-central-1:123456789012:table/tp-ci-outcomes";

const template: Template = {
  Resources: {
    Table: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "tp-ci-outcomes" } },
    Queue: { Type: "AWS::SQS::Queue", Properties: { QueueName: "tp-ci-signup" } },
    Secret: { Type: "AWS::SecretsManager::Secret", Properties: { Name: "tp/ci/sls" } },
    Role: {
      Type: "AWS::IAM::Role",
      Properties: {
        Policies: [
          {
            PolicyName: "p",
            PolicyDocument: {
              Statement: [
                { Sid: "Table", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:Query"], Resource: { "Fn::GetAtt": ["Table", "Arn"] } },
                { Sid: "Index", Effect: "Allow", Action: "dynamodb:Query", Resource: { "Fn::Sub": "${Table.Arn}/index/unfinished" } },
                { Sid: "Secret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: { Ref: "Secret" } },
                { Sid: "Queue", Effect: "Allow", Action: "sqs:SendMessage", Resource: { "Fn::GetAtt": ["Queue", "Arn"] } },
              ],
            },
          },
        ],
      },
    },
    Fn: {
      Type: "AWS::Lambda::Function",
      Properties: {
        Handler: "handlers/webhook.handler",
        FunctionName: "tp-ci-webhook",
        Role: { "Fn::GetAtt": ["Role", "Arn"] },
        Environment: { Variables: { OUTCOME_TABLE_NAME: { Ref: "Table" }, SLS_SECRET_ID: { Ref: "Secret" }, SIGNUP_QUEUE_URL: { Ref: "Queue" } } },
      },
    },
  },
};
const stack = new ResolvedStack(template, PLACE);
const statements = stack.statementsOf(stack.roleOf(stack.functionOf("webhook")));
const allowed = (action: string, arn: string) => ResolvedStack.decide(statements, action, arn).allowed;

describe("IAM matching", () => {
  it("a table grant does not cover its indexes, nor an index grant the table", () => {
    expect(allowed("dynamodb:Query", TABLE_ARN)).toBe(true);
    expect(allowed("dynamodb:Query", `${TABLE_ARN}/index/unfinished`)).toBe(true);
    expect(allowed("dynamodb:GetItem", `${TABLE_ARN}/index/unfinished`)).toBe(false);
    expect(allowed("dynamodb:Query", `${TABLE_ARN}/index/other`)).toBe(false);
    expect(allowed("dynamodb:DeleteItem", TABLE_ARN)).toBe(false);
  });

  it("actions match case-insensitively and with wildcards; resources case-sensitively", () => {
    expect(iamMatches("dynamodb:get*", "dynamodb:GetItem", true)).toBe(true);
    expect(iamMatches("dynamodb:Get?tem", "dynamodb:GetItem", true)).toBe(true);
    expect(iamMatches("dynamodb:Get?tem", "dynamodb:GetItems", true)).toBe(false);
    expect(iamMatches(`${TABLE_ARN}*`, `${TABLE_ARN}/index/x`)).toBe(true);
    expect(iamMatches(TABLE_ARN.toUpperCase(), TABLE_ARN)).toBe(false);
    expect(iamMatches("arn:aws:sqs:*:123456789012:q.1", "arn:aws:sqs:r:123456789012:qx1"), "a dot is literal").toBe(false);
  });

  it("a secret is granted by its full ARN (random 6-character suffix), or by name-??????", () => {
    const arn = stack.targetArn("secret", "tp/ci/sls");
    expect(arn).toMatch(/^arn:aws:secretsmanager:eu-central-1:123456789012:secret:tp\/ci\/sls-[A-Za-z0-9]{6}$/);
    expect(allowed("secretsmanager:GetSecretValue", arn)).toBe(true);
    expect(iamMatches("arn:aws:secretsmanager:eu-central-1:123456789012:secret:tp/ci/sls-??????", arn)).toBe(true);
    expect(iamMatches("arn:aws:secretsmanager:eu-central-1:123456789012:secret:tp/ci/sls", arn), "the bare name is not the ARN").toBe(false);
    expect(allowed("secretsmanager:GetSecretValue", stack.targetArn("secret", "tp/ci/sls-admin"))).toBe(false);
  });

  it("an explicit Deny wins; an Allow with a Condition the audit cannot evaluate is not assumed to hold", () => {
    const extra: ResolvedStatement[] = [
      ...statements,
      { sid: "deny", effect: "Deny", actions: ["dynamodb:*"], resources: [`${TABLE_ARN}/index/*`] },
      { sid: "cond", effect: "Allow", actions: ["dynamodb:DeleteItem"], resources: [TABLE_ARN], condition: { StringEquals: { "aws:PrincipalTag/team": ["ops"] } } },
    ];
    expect(ResolvedStack.decide(extra, "dynamodb:Query", `${TABLE_ARN}/index/unfinished`)).toEqual({ allowed: false, reason: "explicitly denied by deny" });
    const conditional = ResolvedStack.decide(extra, "dynamodb:DeleteItem", TABLE_ARN);
    expect(conditional.allowed).toBe(false);
    expect(conditional.reason).toContain("does not evaluate condition key aws:PrincipalTag/team");
  });

  it("evaluates dynamodb:LeadingKeys: every partition key of the request must match", () => {
    const guarded: ResolvedStatement[] = [
      { sid: "forget", effect: "Allow", actions: ["dynamodb:DeleteItem"], resources: [TABLE_ARN], condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["WEBHOOK#*"] } } },
    ];
    expect(ResolvedStack.decide(guarded, "dynamodb:DeleteItem", TABLE_ARN, { leadingKeys: ["WEBHOOK#abc"] }).allowed).toBe(true);
    expect(ResolvedStack.decide(guarded, "dynamodb:DeleteItem", TABLE_ARN, { leadingKeys: ["TENANT#t1"] })).toEqual({ allowed: false, reason: "forget: its Condition does not hold" });
    // IAM holds ForAllValues for an empty set; the audit refuses to guess when it did not see the key.
    expect(ResolvedStack.decide(guarded, "dynamodb:DeleteItem", TABLE_ARN).allowed).toBe(false);
    expect(stack.hashKeyOf(TABLE_ARN)).toBeUndefined();
  });

  it("maps a test's resource to the deployed one through the variable it came from, else the only one of its kind", () => {
    const fn = stack.functionOf("webhook");
    expect(stack.deployedIdentifier(fn, "dynamodb-table", "local-table", ["OUTCOME_TABLE_NAME"])).toBe("tp-ci-outcomes");
    expect(stack.deployedIdentifier(fn, "sqs-queue", "http://127.0.0.1:1/000000000000/signup", [])).toBe("https://sqs.eu-central-1.amazonaws.com/123456789012/tp-ci-signup");
    expect(stack.targetArn("sqs-queue", "https://sqs.eu-central-1.amazonaws.com/123456789012/tp-ci-signup")).toBe("arn:aws:sqs:eu-central-1:123456789012:tp-ci-signup");
    expect(stack.deployedIdentifier(fn, "event-bus", "default", [])).toBe("default");
    expect(stack.targetArn("event-bus", "default")).toBe("arn:aws:events:eu-central-1:123456789012:event-bus/default");
  });
});

describe("what IAM evaluates for a call", () => {
  it("reads table and index, secret, queue and buses from the input", () => {
    expect(targetsOf("dynamodb", "Query", { TableName: "t", IndexName: "i" })).toEqual([{ action: "dynamodb:Query", kind: "dynamodb-table", id: "t", index: "i" }]);
    expect(targetsOf("dynamodb", "DeleteItem", { TableName: "t" })).toEqual([{ action: "dynamodb:DeleteItem", kind: "dynamodb-table", id: "t" }]);
    expect(targetsOf("secretsmanager", "GetSecretValue", { SecretId: "s" })).toEqual([{ action: "secretsmanager:GetSecretValue", kind: "secret", id: "s" }]);
    expect(targetsOf("events", "PutEvents", { Entries: [{}, { EventBusName: "b" }, {}] }).map((t) => ("id" in t ? t.id : t))).toEqual(["default", "b"]);
  });

  it("authorises batch and transaction calls as IAM does: per message action, per item action", () => {
    expect(targetsOf("sqs", "SendMessageBatch", { QueueUrl: "q" })).toEqual([{ action: "sqs:SendMessage", kind: "sqs-queue", id: "q" }]);
    expect(targetsOf("dynamodb", "TransactWriteItems", { TransactItems: [{ Put: { TableName: "a" } }, { Delete: { TableName: "b" } }] })).toEqual([
      { action: "dynamodb:PutItem", kind: "dynamodb-table", id: "a" },
      { action: "dynamodb:DeleteItem", kind: "dynamodb-table", id: "b" },
    ]);
  });

  it("does not guess at a call it does not know", () => {
    expect(targetsOf("sns", "Publish", { TopicArn: "x" })).toEqual([{ action: "sns:Publish", unsupported: expect.stringContaining("no resource rule") }]);
    expect(targetsOf("dynamodb", "ExecuteStatement", { Statement: "SELECT" })[0]).toHaveProperty("unsupported");
  });
});

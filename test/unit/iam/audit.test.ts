/**
 * The IAM audit's checks on made-up recordings: a denied call is named with its handler, action
 * and resource; an unused grant is reported unless listed as unreachable; a call from a client
 * without the deadline-bound handler stays visible after de-duplication.
 */
import { describe, expect, it } from "vitest";
import { checkedCalls, deniedCalls, grantCoverage } from "../../support/iam/audit.ts";
import { ResolvedStack, type Template } from "../../support/iam/policy.ts";
import type { RecordedCall } from "../../support/iam/record-aws-calls.ts";

const TABLE = "arn:aws:dynamodb:eu-central-1:123456789012:table/tp-ci-outcomes";

const template: Template = {
  Resources: {
    Table: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "tp-ci-outcomes", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }] } },
    Role: {
      Type: "AWS::IAM::Role",
      Properties: {
        Policies: [
          {
            PolicyName: "webhook",
            PolicyDocument: {
              Statement: [
                { Sid: "Read", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:BatchGetItem"], Resource: { "Fn::GetAtt": ["Table", "Arn"] } },
                { Sid: "Logs", Effect: "Allow", Action: "logs:PutLogEvents", Resource: "arn:aws:logs:eu-central-1:123456789012:log-group:x:*" },
                {
                  Sid: "Forget",
                  Effect: "Allow",
                  Action: "dynamodb:DeleteItem",
                  Resource: { "Fn::GetAtt": ["Table", "Arn"] },
                  Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["WEBHOOK#*"] } },
                },
              ],
            },
          },
        ],
      },
    },
    Fn: {
      Type: "AWS::Lambda::Function",
      Properties: { Handler: "handlers/webhook.handler", FunctionName: "tp-ci-webhook", Role: { "Fn::GetAtt": ["Role", "Arn"] }, Environment: { Variables: { OUTCOME_TABLE_NAME: { Ref: "Table" } } } },
    },
  },
};
const stack = new ResolvedStack(template, { region: "eu-central-1", account: "123456789012", stackName: "tp-ci" });

const call = (action: string, extra: Partial<RecordedCall> = {}): RecordedCall =>
  ({ handler: "webhook", client: "DynamoDBClient", deadlineBound: true, action, kind: "dynamodb-table", id: "local-table", envVars: ["OUTCOME_TABLE_NAME"], ...extra }) as RecordedCall;

describe("the IAM audit's checks", () => {
  it("names the handler, action, resource and partition key of a call its role refuses", () => {
    const { observed } = checkedCalls(stack, [
      call("dynamodb:GetItem"),
      call("dynamodb:PutItem"),
      call("dynamodb:DeleteItem", { key: { pk: "WEBHOOK#a", sk: "WEBHOOK" } }),
      call("dynamodb:DeleteItem", { key: { pk: "TENANT#t1", sk: "TENANT" } }),
    ]);
    expect(deniedCalls(stack, "webhook", observed)).toEqual([
      `webhook dynamodb:PutItem on ${TABLE} (the test's local-table): no statement of the role allows it (implicit deny)`,
      `webhook dynamodb:DeleteItem on ${TABLE} (the test's local-table, partition key TENANT#t1): webhook/Forget: its Condition does not hold`,
    ]);
  });

  it("reports a grant no call exercised, unless it is listed as unreachable", () => {
    const { calls } = checkedCalls(stack, [call("dynamodb:GetItem"), call("dynamodb:DeleteItem", { key: { pk: "WEBHOOK#a" } })]);
    const coverage = grantCoverage(stack, "webhook", calls, [{ functions: "*", action: "logs:PutLogEvents", why: "the runtime" }]);
    expect(coverage).toEqual({
      grants: 4,
      exercised: 2,
      unreachable: 1,
      unused: [`webhook webhook/Read: dynamodb:BatchGetItem on ${TABLE} is granted but no test made that call`],
    });
  });

  it("keeps a call from an unbounded client visible among its duplicates, and collects unreadable calls", () => {
    const { calls, unsupported } = checkedCalls(stack, [
      call("dynamodb:GetItem"),
      call("dynamodb:GetItem", { deadlineBound: false }),
      call("dynamodb:GetItem"),
      { handler: "webhook", client: "SNSClient", deadlineBound: true, action: "sns:Publish", unsupported: "no resource rule" },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.deadlineBound).toBe(false);
    expect(unsupported).toEqual(["webhook: sns:Publish: no resource rule"]);
  });
});

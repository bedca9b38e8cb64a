/**
 * The IAM audit's checks, apart from where their input comes from (test/audit/iam.test.ts reads
 * the run's recordings and packaged template; test/unit/iam/audit.test.ts feeds made-up ones).
 */
import { iamMatches, ResolvedStack } from "./policy.ts";
import type { RecordedCall } from "./record-aws-calls.ts";

/** One recorded call, mapped to what IAM would see in the deployed stack. */
export interface CheckedCall {
  handler: string;
  action: string;
  arn: string;
  /** How the test named the resource, for the failure message. */
  local: string;
  client: string;
  deadlineBound: boolean;
  /** `dynamodb:LeadingKeys` of the request, when the recorder saw the item key. */
  leadingKeys?: string[];
}

/** A grant no test can exercise (the Lambda service uses it with the function's role), and why. */
export interface UnreachableGrant {
  functions: "*" | string[];
  action: string;
  why: string;
}

/**
 * Maps recorded calls onto the deployed stack: every call (`observed`), the distinct
 * (handler, action, resource) ones (`calls`, a call from an unbounded client kept if any), and
 * the calls the audit could not read (`unsupported`).
 *
 * @example
 * ```ts
 * const { calls } = checkedCalls(stack, recorded);
 * ```
 */
export function checkedCalls(stack: ResolvedStack, recorded: readonly RecordedCall[]): { observed: CheckedCall[]; calls: CheckedCall[]; unsupported: string[] } {
  const observed: CheckedCall[] = [];
  const unsupported = new Set<string>();
  const distinct = new Map<string, CheckedCall>();
  for (const call of recorded) {
    if ("unsupported" in call) {
      unsupported.add(`${call.handler}: ${call.action}: ${call.unsupported}`);
      continue;
    }
    const fn = stack.functionOf(call.handler);
    const arn = stack.targetArn(call.kind, stack.deployedIdentifier(fn, call.kind, call.id, call.envVars), call.index);
    const hashKey = call.index ? undefined : stack.hashKeyOf(arn);
    const leadingKey = hashKey ? call.key?.[hashKey] : undefined;
    const checked: CheckedCall = {
      handler: call.handler,
      action: call.action,
      arn,
      local: call.id + (call.index ? ` index ${call.index}` : ""),
      client: call.client,
      deadlineBound: call.deadlineBound,
      ...(leadingKey === undefined ? {} : { leadingKeys: [leadingKey] }),
    };
    observed.push(checked);
    const key = `${checked.handler} ${checked.action} ${checked.arn}`;
    const seen = distinct.get(key);
    if (!seen || (seen.deadlineBound && !checked.deadlineBound)) distinct.set(key, checked);
  }
  const calls = [...distinct.values()].sort((a, b) => `${a.handler} ${a.action} ${a.arn}`.localeCompare(`${b.handler} ${b.action} ${b.arn}`));
  return { observed, calls, unsupported: [...unsupported].sort() };
}

/**
 * The calls `handler` made that its role would refuse, one line each naming the handler, the
 * action, the resource and why.
 *
 * @example
 * ```ts
 * expect(deniedCalls(stack, "webhook", observed)).toEqual([]);
 * ```
 */
export function deniedCalls(stack: ResolvedStack, handler: string, observed: readonly CheckedCall[]): string[] {
  const statements = stack.statementsOf(stack.roleOf(stack.functionOf(handler)));
  const denied = new Map<string, string>();
  for (const c of observed.filter((o) => o.handler === handler)) {
    const decision = ResolvedStack.decide(statements, c.action, c.arn, c.leadingKeys ? { leadingKeys: c.leadingKeys } : {});
    const key = `${c.action} ${c.arn} ${decision.reason}`;
    if (!decision.allowed && !denied.has(key)) {
      const partition = c.leadingKeys ? `, partition key ${c.leadingKeys.join(", ")}` : "";
      denied.set(key, `${handler} ${c.action} on ${c.arn} (the test's ${c.local}${partition}): ${decision.reason}`);
    }
  }
  return [...denied.values()];
}

/** Every (statement, action, resource) a function's role allows. */
export function grantsOf(stack: ResolvedStack, handler: string): { sid: string; action: string; resource: string }[] {
  return stack
    .statementsOf(stack.roleOf(stack.functionOf(handler)))
    .filter((s) => s.effect === "Allow")
    .flatMap((s) => s.actions.flatMap((action) => s.resources.map((resource) => ({ sid: s.sid, action, resource }))));
}

/**
 * How `handler`'s grants were used: exercised by a call, unreachable by tests (listed), or unused
 * (one line each).
 *
 * @example
 * ```ts
 * expect(grantCoverage(stack, "webhook", calls, []).unused).toEqual([]);
 * ```
 */
export function grantCoverage(
  stack: ResolvedStack,
  handler: string,
  calls: readonly CheckedCall[],
  unreachable: readonly UnreachableGrant[],
): { grants: number; exercised: number; unreachable: number; unused: string[] } {
  const out = { grants: 0, exercised: 0, unreachable: 0, unused: [] as string[] };
  for (const { sid, action, resource } of grantsOf(stack, handler)) {
    out.grants++;
    if (calls.some((c) => c.handler === handler && iamMatches(action, c.action, true) && iamMatches(resource, c.arn))) out.exercised++;
    else if (unreachable.some((u) => (u.functions === "*" || u.functions.includes(handler)) && iamMatches(u.action, action, true))) out.unreachable++;
    else out.unused.push(`${handler} ${sid}: ${action} on ${resource} is granted but no test made that call`);
  }
  return out;
}

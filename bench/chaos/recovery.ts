/**
 * After the deliveries: wait for the signup queue to drain, re-drive unfinished work with the
 * backfill's core, and move the DLQ back with the operators' redrive (SQS message move task).
 */
import { randomUUID } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { runBackfill, type BackfillReport } from "../../src/backfill/backfill.ts";
import { systemClock } from "../../src/http/clock.ts";
import type { Clock } from "../../src/http/types.ts";
import type { SqsStandIn } from "../../src/local/sqs.ts";
import { startDlqRedrive, waitForDlqRedrive } from "../../src/queue/dlq-redrive.ts";
import type { ProvisionLogger } from "../../src/provisioning/types.ts";
import type { Service } from "../../src/service.ts";

/** What one backfill round did. */
export interface BackfillRound extends BackfillReport {
  round: number;
  /** Simulated time the round ran at, ahead of the real clock (see {@link Recovery.backfillUntilDone}). */
  simulatedAheadMin: number;
  durationMs: number;
  unfinishedBefore: number;
  unfinishedAfter: number;
}

export interface RecoveryOptions {
  service: Service;
  sqs: SqsStandIn;
  client: SQSClient;
  queues: { signup: string; dlq: string };
  drainTimeoutMs: number;
  maxBackfillRounds: number;
  logger: ProvisionLogger;
  progress: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The recovery steps of a chaos run, with what each did.
 *
 * @example
 * ```ts
 * const recovery = new Recovery({ service, sqs, client, queues, drainTimeoutMs: 20_000, maxBackfillRounds: 8, logger, progress });
 * await recovery.drain();
 * await recovery.backfillUntilDone();
 * await recovery.replayDlq();
 * ```
 */
export class Recovery {
  readonly rounds: BackfillRound[] = [];
  backfillMs = 0;
  dlqMs = 0;
  replayRounds = 0;
  messagesReplayed = 0;
  readonly #o: RecoveryOptions;
  #aheadMs = 0;

  constructor(options: RecoveryOptions) {
    this.#o = options;
  }

  /** Messages of a queue in any state. */
  queueDepth(name: string): number {
    const d = this.#o.sqs.depth(name);
    return d.visible + d.inFlight + d.delayed;
  }

  /** Waits until the signup queue is empty (or the drain timeout passes). */
  async drain(): Promise<void> {
    const until = Date.now() + this.#o.drainTimeoutMs;
    while (this.queueDepth(this.#o.queues.signup) > 0 && Date.now() < until) await sleep(100);
  }

  /** Steps in the unfinished index. */
  async countUnfinished(): Promise<number> {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#o.service.store.listUnfinished({ limit: 100, cursor });
      n += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    return n;
  }

  /**
   * Runs {@link runBackfill} rounds until nothing is unfinished. A FAILED_RETRYABLE step is due
   * again only after its backoff (30 s doubling, up to 1 h): rather than wait that out, each round
   * runs on a clock 61 minutes further ahead than the last (as if the schedule fired after the
   * longest backoff), so every unfinished step is due. Only the walk's due bound and time budget
   * use that clock; claims, leases and provider calls use the real one.
   */
  async backfillUntilDone(): Promise<void> {
    const { service, logger, progress } = this.#o;
    const t = Date.now();
    let unfinished = await this.countUnfinished();
    while (this.rounds.length < this.#o.maxBackfillRounds && unfinished > 0) {
      const round = this.rounds.length + 1;
      this.#aheadMs += 61 * 60_000;
      const offset = this.#aheadMs;
      const clock: Clock = { now: () => Date.now() + offset, sleep: (ms) => systemClock.sleep(ms) };
      const started = Date.now();
      const report = await runBackfill(
        { deadline: clock.now() + 120_000, perTenantBudgetMs: 10_000, concurrency: 16, pageSize: 200 },
        {
          store: service.store,
          positions: service.positions,
          reconcile: (state, deadline, walk) =>
            service.reconcile(state, { deadline: deadline - offset, workerId: `backfill-${round}-${randomUUID()}/${state.tenant?.tenantId ?? ""}`, ...walk }),
          clock,
          logger,
        },
      );
      const after = await this.countUnfinished();
      this.rounds.push({ round, simulatedAheadMin: offset / 60_000, durationMs: Date.now() - started, unfinishedBefore: unfinished, unfinishedAfter: after, ...report });
      progress(`backfill round ${round}: ${report.tenants} tenants, ${report.succeeded} succeeded, ${report.retryable} retryable, ${report.permanent} permanent; ${after} unfinished`);
      unfinished = after;
    }
    this.backfillMs += Date.now() - t;
  }

  /** Moves the DLQ back to the signup queue as `replay-dlq --aws` does (a message move task), then drains; up to 5 rounds. */
  async replayDlq(): Promise<void> {
    const { client, sqs, queues } = this.#o;
    const t = Date.now();
    while (this.queueDepth(queues.dlq) > 0 && this.replayRounds < 5) {
      this.replayRounds++;
      const task = await startDlqRedrive(client, { dlqUrl: sqs.queueUrl(queues.dlq) });
      const done = await waitForDlqRedrive(client, task.sourceArn, { deadline: Date.now() + 60_000, pollMs: 100 });
      this.messagesReplayed += done.moved;
      await this.drain();
    }
    this.dlqMs += Date.now() - t;
  }
}

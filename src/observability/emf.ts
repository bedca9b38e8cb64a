import { writeLine } from "./write-line.ts";
import { ProvisionerError } from "../errors.ts";

/**
 * CloudWatch Embedded Metric Format: one document per metric, written as a JSON line to stdout,
 * where Lambda's log pipeline turns it into a metric. The documents are the ones Powertools for
 * AWS Lambda 2.35.0 wrote for a single metric (the service used it until 2026-12-01;
 * test/unit/observability/powertools-compat.test.ts holds them to Powertools' own output):
 *
 * ```json
 * {"_aws":{"Timestamp":1764590000000,"CloudWatchMetrics":[{"Namespace":"TenantProvisioner",
 *  "Dimensions":[["service","provider"]],"Metrics":[{"Name":"ProviderLatency","Unit":"Milliseconds"}]}]},
 *  "service":"tenant-provisioner","provider":"sls","ProviderLatency":41}
 * ```
 */

/** The units CloudWatch accepts. */
const METRIC_UNITS = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
] as const;

export type MetricUnit = (typeof METRIC_UNITS)[number];

/** CloudWatch's limits for one metric: dimensions per metric, characters of a name. */
export const MAX_DIMENSIONS = 30;
const MAX_METRIC_NAME_LENGTH = 255;

/** A metric CloudWatch would refuse (or that would collide in its document); thrown before anything is written. */
export class MetricValidationError extends ProvisionerError {
  override name = "MetricValidationError";
  /** What is wrong: `namespace`, `name`, `unit`, `value`, `dimensions`. */
  readonly field: "namespace" | "name" | "unit" | "value" | "dimensions";
  constructor(field: MetricValidationError["field"], message: string) {
    super(message);
    this.field = field;
  }
}

const isBlank = (value: unknown): boolean => typeof value !== "string" || value.trim().length === 0;

/** Where documents and warnings go (stdout and stderr of the process unless a test says otherwise). */
export interface EmfOutput {
  document(line: string): void;
  warning(text: string): void;
}

/** The process's own stdout (documents) and stderr (warnings). */
export const processOutput: EmfOutput = { document: (line) => writeLine(process.stdout, line), warning: (text) => writeLine(process.stderr, text) };

/** Writes single-metric EMF documents for one namespace, each with the default dimensions first. */
export interface EmfEmitter {
  /**
   * Writes one document for one metric value with its own dimensions. A dimension whose name or
   * value is empty is left out with a warning on stderr (as Powertools did: the metric still counts).
   */
  emit(name: string, unit: MetricUnit, value: number, dimensions?: Record<string, string>): void;
}

/**
 * An emitter for `namespace` whose every document carries `defaultDimensions` (the service's
 * `service` dimension). `disabled` writes nothing (Powertools' `POWERTOOLS_METRICS_DISABLED`).
 *
 * @example
 * ```ts
 * const emf = createEmfEmitter({ namespace: "TenantProvisioner", defaultDimensions: { service: "tenant-provisioner" } });
 * emf.emit("ProviderRetry", "Count", 1, { provider: "sls", code: "InternalServerError" });
 * ```
 */
export function createEmfEmitter(options: {
  namespace: string;
  defaultDimensions: Record<string, string>;
  disabled?: boolean;
  output?: EmfOutput;
}): EmfEmitter {
  const { namespace, defaultDimensions, disabled = false, output = processOutput } = options;
  if (isBlank(namespace)) throw new MetricValidationError("namespace", "metric namespace: a non-empty string");
  return {
    emit(name, unit, value, dimensions = {}) {
      if (typeof name !== "string" || name.length < 1 || name.length > MAX_METRIC_NAME_LENGTH) {
        throw new MetricValidationError("name", `metric name: 1-${MAX_METRIC_NAME_LENGTH} characters`);
      }
      if (!METRIC_UNITS.includes(unit)) throw new MetricValidationError("unit", `metric ${name}: unit one of ${METRIC_UNITS.join(", ")}`);
      if (typeof value !== "number" || !Number.isFinite(value)) throw new MetricValidationError("value", `metric ${name}: a finite number`);
      const all: Record<string, string> = { ...defaultDimensions };
      for (const [key, dimension] of Object.entries(dimensions)) {
        if (isBlank(key) || isBlank(dimension)) {
          output.warning(
            `The dimension ${key} doesn't meet the requirements and won't be added. Ensure the dimension name and value are non empty strings`,
          );
          continue;
        }
        all[key] = dimension;
      }
      const names = Object.keys(all);
      if (names.length > MAX_DIMENSIONS) throw new MetricValidationError("dimensions", `metric ${name}: at most ${MAX_DIMENSIONS} dimensions`);
      if (Object.hasOwn(all, name) || Object.hasOwn(all, "_aws")) {
        throw new MetricValidationError("dimensions", `metric ${name}: no dimension named _aws or like the metric`);
      }
      if (disabled) return;
      const document = {
        _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [names], Metrics: [{ Name: name, Unit: unit }] }] },
        ...all,
        [name]: value,
      };
      output.document(JSON.stringify(document));
    },
  };
}

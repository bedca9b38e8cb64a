/**
 * What AWS would run: packages the service with osls (offline, as `npm run package` does, through
 * test/support/packaged-template.ts), and returns each function's memory, NODE_OPTIONS and deployed bundle
 * (extracted from its zip), so the benchmark measures that bundle under those settings.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import { packageService } from "../test/support/packaged-template.ts";

/** One function as packaged. */
export interface DeployedFunction {
  memorySize: number;
  /** NODE_OPTIONS from the template; undefined when none is set. */
  nodeOptions: string | undefined;
  /** The handler bundle from the function's zip, written as a CommonJS file. */
  bundle: string;
}

/** The bytes of one entry of a zip file (stored or deflated). */
function zipEntry(zip: Buffer, wanted: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip");
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = zip.readUInt16LE(eocd + 10); i > 0; i--) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    if (name === wanted) {
      const local = zip.readUInt32LE(at + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 8 ? inflateRawSync(data) : Buffer.from(data);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  throw new Error(`${wanted} is not in the zip`);
}

/**
 * Packages the service and reads `name`'s function from the CloudFormation template.
 *
 * @example
 * ```ts
 * const backfill = await packagedFunction("backfill", outDir);
 * fork(child, { env: { NODE_OPTIONS: backfill.nodeOptions } });
 * ```
 */
export async function packagedFunction(name: string, outDir: string): Promise<DeployedFunction> {
  const packaged = await packageService();
  try {
    const template = packaged.template as {
      Resources: Record<string, { Properties: { MemorySize: number; Handler: string; Environment?: { Variables?: Record<string, unknown> } } }>;
    };
    const fn = template.Resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`];
    if (!fn) throw new Error(`no ${name} function in the packaged template`);
    const nodeOptions = fn.Properties.Environment?.Variables?.["NODE_OPTIONS"];
    const entry = `${fn.Properties.Handler.slice(0, fn.Properties.Handler.lastIndexOf("."))}.js`;
    const bundle = path.join(outDir, "deployed", name, "index.cjs");
    mkdirSync(path.dirname(bundle), { recursive: true });
    writeFileSync(bundle, zipEntry(readFileSync(path.join(packaged.outDir, `${name}.zip`)), entry));
    return { memorySize: fn.Properties.MemorySize, nodeOptions: typeof nodeOptions === "string" ? nodeOptions : undefined, bundle };
  } finally {
    packaged.cleanup();
  }
}

/**
 * The heap flags the nodejs24.x runtime's bootstrap puts on the command line: none when
 * NODE_OPTIONS names --max-semi-space-size or --max-old-space-size (either spelling); otherwise
 * flags sized from the memory (young generation a tenth of it, old space the rest; an
 * approximation of the bootstrap's arithmetic, marked as such in the report).
 */
export function lambdaRuntimeHeapFlags(memorySize: number, nodeOptions: string | undefined): { flags: string[]; approximate: boolean } {
  if (/--max[-_](semi|old)[-_]space[-_]size/.test(nodeOptions ?? "")) return { flags: [], approximate: false };
  const newSpace = Math.floor(memorySize / 10);
  return { flags: [`--max-semi-space-size=${Math.floor(newSpace / 3)}`, `--max-old-space-size=${memorySize - newSpace}`], approximate: true };
}

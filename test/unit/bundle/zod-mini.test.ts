/**
 * Guards the cold-start budget: handler bundles must use zod/mini, never zod classic
 * (`import * as z from "zod"` adds ~65 KB and ~12 ms of cold init per handler, DESIGN.md).
 * One in-memory esbuild run over every handler with the deploy options; nothing is written.
 */
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { HANDLERS, bundleOptions } from "../../../scripts/esbuild-options.ts";

/** zod classic (v4) and the zod 3 compatibility build; zod/mini lives in node_modules/zod/v4/mini. */
const ZOD_CLASSIC = /node_modules\/zod\/(v4\/classic|v3)\//;
const ZOD_MINI = /node_modules\/zod\/v4\/mini\//;

describe("handler bundles", () => {
  it("contain zod/mini and no zod classic", { timeout: 30_000 }, async () => {
    const result = await esbuild.build({
      ...bundleOptions,
      entryPoints: Object.fromEntries(HANDLERS.map((name) => [name, `handlers/${name}.ts`])),
      outdir: "dist-metafile-check",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputsByHandler = Object.fromEntries(
      Object.entries(result.metafile.outputs).map(([file, output]) => [file, Object.keys(output.inputs)]),
    );
    expect(Object.keys(inputsByHandler)).toHaveLength(HANDLERS.length);
    for (const [file, inputs] of Object.entries(inputsByHandler)) {
      expect(inputs.filter((p) => ZOD_CLASSIC.test(p)), `${file} bundles zod classic`).toEqual([]);
      expect(inputs.some((p) => ZOD_MINI.test(p)), `${file} should validate with zod/mini`).toBe(true);
    }
  });
});

// One cold start: load a handler bundle the way the Lambda runtime does (require), then report
// two times, both from performance.now() (ms since this process's timeOrigin, i.e. its start):
//   sinceStart: process start → the bundle is loaded (Node bootstrap + this file + the bundle);
//   require:    the require() call alone (reading, compiling and running the bundle's top level,
//               which builds the service from the environment).
"use strict";
const t0 = performance.now();
const mod = require(process.argv[2]);
const t1 = performance.now();
if (typeof mod.handler !== "function") throw new Error(`${process.argv[2]} exports no handler function`);
process.stdout.write(JSON.stringify({ sinceStart: t1, require: t1 - t0 }));

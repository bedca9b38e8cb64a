/**
 * The sandbox's HTTP control API, under a path SLS never uses, so another process (the local
 * stack, a chaos run) can reconfigure faults and read the state:
 *
 * - `GET  /__sandbox/state`   the {@link SlsSandboxState} as JSON
 * - `GET  /__sandbox/faults`  the current FaultConfig
 * - `POST /__sandbox/faults`  replace it with a (partial) FaultConfig; absent fields get defaults
 * - `POST /__sandbox/reset`   drop every consumer group and created logstore, zero the counters
 */
export { CONTROL_PATH_PREFIX, parseFaultConfig } from "../control-body.ts";

export { streamCollector } from "@smithy/node-http-handler";
export declare class NodeHttpHandler {
  static create<T extends { handle: (...args: never[]) => unknown }>(instanceOrOptions: T): T;
  static create(instanceOrOptions?: unknown): never;
  constructor();
}

/**
 * The parts of Node-RED's node API these nodes use (https://nodered.org/docs/creating-nodes/).
 * Node-RED ships no type declarations of its own; these mirror its runtime objects.
 */
export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type NodeSend = (msg: NodeMessage | NodeMessage[] | (NodeMessage | NodeMessage[] | null)[]) => void;
export type NodeDone = (err?: Error) => void;

export interface NodeContextStore {
  get(key: string): unknown;
}

export interface RuntimeNode {
  id: string;
  type: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', handler: (msg: NodeMessage, send: NodeSend, done: NodeDone) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | NodeMessage[]): void;
  status(status: NodeStatus | Record<string, never>): void;
  warn(message: unknown): void;
  error(message: unknown, msg?: NodeMessage): void;
  log(message: unknown): void;
  context(): { global: NodeContextStore; flow: NodeContextStore };
}

export interface NodeDefinition {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface ExpressRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
}

export interface ExpressResponse {
  status(code: number): ExpressResponse;
  json(body: unknown): void;
}

type Handler = (req: ExpressRequest, res: ExpressResponse, next: () => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDefinition): void;
    getNode(id: string): unknown;
    registerType<N extends RuntimeNode, D extends NodeDefinition>(
      type: string,
      constructor: (this: N, def: D) => void,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, unknown> },
    ): void;
  };
  httpAdmin: { get(path: string, ...handlers: Handler[]): void };
  auth: { needsPermission(permission: string): Handler };
  util: { cloneMessage<T>(msg: T): T };
  _(key: string, params?: Record<string, unknown>): string;
}

/**
 * What every WeCom node does around a request: abort what is in flight when the node closes (a
 * redeploy, a shutdown), and report a failure the same way (details on the msg for Catch nodes, a
 * short red status, `done(err)`).
 */
import type { NodeDone, NodeMessage, RuntimeNode } from '../node-red.js';
import { asError, failureDetail, failureStatus } from './failure.js';

export interface RequestTracker {
  /** A controller for one input's request, aborted if the node closes first. */
  start(): AbortController;
  finish(controller: AbortController): void;
}

export function trackRequests(node: RuntimeNode, stoppedMessage: () => string): RequestTracker {
  const running = new Set<AbortController>();
  node.on('close', (_removed, done) => {
    for (const controller of running) controller.abort(new Error(stoppedMessage()));
    running.clear();
    node.status({});
    done();
  });
  return {
    start() {
      const controller = new AbortController();
      running.add(controller);
      return controller;
    },
    finish(controller) {
      running.delete(controller);
    },
  };
}

export function reportFailure(node: RuntimeNode, error: unknown, msg: NodeMessage, done: NodeDone): void {
  const err = asError(error);
  msg.wecomError = failureDetail(err);
  node.status({ fill: 'red', shape: 'ring', text: failureStatus(err) });
  done(err);
}

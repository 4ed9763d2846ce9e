/**
 * `wecom-kf-stats`: statistics for a range of China days. Settings give the defaults; documented
 * msg properties override them. Progress and the outcome show in the node status; failures go to
 * `done(err)` so Catch nodes see them, after sending whatever days did arrive.
 */
import {
  IncompleteFetchError,
  attributeToMsg,
  planStatistics,
  reportFailure,
  statisticsMessages,
  trackRequests,
  type NodeKfStatsClient,
  type StatisticsPlan,
  type StatisticsResult,
  type StatisticsSettings,
} from './lib/index.js';
import type { NodeAPI, NodeDefinition, NodeDone, NodeMessage, NodeSend, RuntimeNode } from './node-red.js';
import type { WecomKfConfigNode } from './wecom-kf-config.js';

interface StatisticsDefinition extends NodeDefinition, StatisticsSettings {
  config?: string;
}

export default function register(RED: NodeAPI): void {
  function WecomKfStats(this: RuntimeNode, def: StatisticsDefinition) {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = def.config ? (RED.nodes.getNode(def.config) as WecomKfConfigNode | null) : null;
    const requests = trackRequests(node, () => RED._('wecom-kf-stats.errors.stopped'));
    if (!config) node.status({ fill: 'red', shape: 'ring', text: RED._('wecom-kf-stats.status.noConfig') });

    const fail = (error: unknown, msg: NodeMessage, done: NodeDone, sources: Record<string, string> = {}) =>
      reportFailure(node, attributeToMsg(error, sources), msg, done);

    node.on('input', (msg: NodeMessage, send: NodeSend, done: NodeDone) => {
      let plan: StatisticsPlan | undefined;
      let client: NodeKfStatsClient;
      try {
        if (!config) throw new Error(RED._('wecom-kf-stats.errors.noConfig'));
        plan = planStatistics(def, msg);
        client = config.getClient();
      } catch (error) {
        fail(error, msg, done, plan?.sources);
        return;
      }
      const { sources } = plan;
      const controller = requests.start();
      node.status({ fill: 'blue', shape: 'ring', text: RED._('wecom-kf-stats.status.fetching') });

      const deliver = (result: StatisticsResult, extra?: Record<string, unknown>) => {
        const messages = statisticsMessages(plan!, result, msg, RED.util.cloneMessage, extra);
        if (messages.length > 0) send(plan!.output === 'all' ? messages[0]! : [messages]);
      };

      client
        .getStatistics({
          ...plan.query,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.totalChunks === 0 || controller.signal.aborted) return;
            node.status({
              fill: 'blue',
              shape: 'dot',
              text: RED._('wecom-kf-stats.status.progress', { done: p.completedChunks, total: p.totalChunks }),
            });
          },
        })
        .then(
          (result) => {
            deliver(result);
            for (const warning of result.warnings) node.warn(warning.message);
            const days = result.days.length;
            node.status(
              result.warnings.length > 0
                ? {
                    fill: 'yellow',
                    shape: 'dot',
                    text: RED._('wecom-kf-stats.status.doneWithWarnings', { days, warnings: result.warnings.length }),
                  }
                : { fill: 'green', shape: 'dot', text: RED._('wecom-kf-stats.status.done', { days }) },
            );
            done();
          },
          (error: unknown) => {
            // Stopped by a redeploy: the flow is going away, nobody is left to tell.
            if (controller.signal.aborted) return done();
            if (error instanceof IncompleteFetchError) {
              // Nothing already fetched is lost: send the days that arrived, then report the failure.
              const partial = error.partial as StatisticsResult;
              deliver(partial, {
                incomplete: { fetchedDays: error.fetchedDays, missingDays: error.missingDays, message: error.message },
              });
            }
            fail(error, msg, done, sources);
          },
        )
        .finally(() => requests.finish(controller));
    });
  }

  RED.nodes.registerType('wecom-kf-stats', WecomKfStats);
}

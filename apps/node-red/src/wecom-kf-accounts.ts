/**
 * `wecom-kf-accounts`: the corp's customer-service accounts (kf/account/list, every page), with
 * their servicers if asked. One msg with the list, or one msg per account with `msg.openKfid` set,
 * ready for a `wecom-kf-stats` node.
 */
import { reportFailure, trackRequests, type KfAccount, type NodeKfStatsClient, type Servicer } from './lib/index.js';
import type { NodeAPI, NodeDefinition, NodeDone, NodeMessage, NodeSend, RuntimeNode } from './node-red.js';
import type { WecomKfConfigNode } from './wecom-kf-config.js';

interface AccountsDefinition extends NodeDefinition {
  config?: string;
  servicers?: boolean;
  output?: string;
}

type AccountWithServicers = KfAccount & { servicers?: Servicer[] };

export default function register(RED: NodeAPI): void {
  function WecomKfAccounts(this: RuntimeNode, def: AccountsDefinition) {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = def.config ? (RED.nodes.getNode(def.config) as WecomKfConfigNode | null) : null;
    const requests = trackRequests(node, () => RED._('wecom-kf-accounts.errors.stopped'));
    if (!config) node.status({ fill: 'red', shape: 'ring', text: RED._('wecom-kf-accounts.status.noConfig') });

    const fail = (error: unknown, msg: NodeMessage, done: NodeDone) => reportFailure(node, error, msg, done);

    async function listAccounts(client: NodeKfStatsClient, signal: AbortSignal): Promise<AccountWithServicers[]> {
      const accounts: AccountWithServicers[] = await client.listAccounts({ signal });
      if (def.servicers) {
        // One account at a time: a corp may have thousands of accounts (page 94661).
        for (const account of accounts) account.servicers = await client.listServicers(account.open_kfid, { signal });
      }
      return accounts;
    }

    node.on('input', (msg: NodeMessage, send: NodeSend, done: NodeDone) => {
      let client: NodeKfStatsClient;
      try {
        if (!config) throw new Error(RED._('wecom-kf-accounts.errors.noConfig'));
        client = config.getClient();
      } catch (error) {
        fail(error, msg, done);
        return;
      }
      const controller = requests.start();
      node.status({ fill: 'blue', shape: 'ring', text: RED._('wecom-kf-accounts.status.listing') });
      listAccounts(client, controller.signal)
        .then(
          (accounts) => {
            if (def.output === 'each') {
              const id = `${msg._msgid ?? 'wecom-kf'}-accounts`;
              const out = accounts.map((account, index) => ({
                ...RED.util.cloneMessage(msg),
                payload: account,
                openKfid: account.open_kfid,
                parts: { id, index, count: accounts.length, type: 'array', len: 1 },
              }));
              if (out.length > 0) send([out]);
            } else {
              send({ ...msg, payload: accounts });
            }
            node.status({ fill: 'green', shape: 'dot', text: RED._('wecom-kf-accounts.status.done', { count: accounts.length }) });
            done();
          },
          (error: unknown) => fail(error, msg, done),
        )
        .finally(() => requests.finish(controller));
    });
  }

  RED.nodes.registerType('wecom-kf-accounts', WecomKfAccounts);
}

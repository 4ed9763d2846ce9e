/**
 * `wecom-kf-config`: the connection to WeCom. Owns one core client (its token cache, day cache and
 * connection pool) for every node that uses it; secrets live in Node-RED's credential store.
 * A redeploy closes the node, which closes the client's connections.
 */
import {
  CREDENTIAL_FIELDS,
  authFromSettings,
  createNodeClient,
  type ConfigCredentials,
  type ConfigSettings,
  type NodeKfStatsClient,
} from './lib/index.js';
import type { ExpressResponse, NodeAPI, NodeDefinition, RuntimeNode } from './node-red.js';

export interface WecomKfConfigNode extends RuntimeNode {
  /** The shared client; throws the configuration problem, or that the node was closed. */
  getClient(): NodeKfStatsClient;
}

interface ConfigDefinition extends NodeDefinition, ConfigSettings {
  baseUrl?: string;
  concurrency?: string | number;
}

const optionalNumber = (value: unknown) =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ? undefined : Number(value);

export default function register(RED: NodeAPI): void {
  function WecomKfConfig(this: WecomKfConfigNode, def: ConfigDefinition) {
    RED.nodes.createNode(this, def);
    const credentials = (this.credentials ?? {}) as ConfigCredentials;
    let client: NodeKfStatsClient | undefined;
    let setupError: Error | undefined;
    let closed = false;
    try {
      const baseUrl = typeof def.baseUrl === 'string' && def.baseUrl.trim() !== '' ? def.baseUrl.trim() : undefined;
      const concurrency = optionalNumber(def.concurrency);
      client = createNodeClient({
        auth: authFromSettings(def, credentials, (key) => this.context().global.get(key)),
        ...(baseUrl ? { baseUrl } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
      });
    } catch (error) {
      setupError = error instanceof Error ? error : new Error(String(error));
      this.error(setupError.message);
    }

    this.getClient = () => {
      if (closed) throw new Error(RED._('wecom-kf-config.errors.closed'));
      if (setupError) throw setupError;
      return client!;
    };

    this.on('close', (_removed, done) => {
      closed = true;
      const closing = client ? client.close() : Promise.resolve();
      client = undefined;
      closing.then(
        () => done(),
        (error: unknown) => {
          this.warn(error instanceof Error ? error.message : String(error));
          done();
        },
      );
    });
  }

  const credentials: Record<string, { type: 'password' }> = {};
  for (const field of CREDENTIAL_FIELDS) credentials[field] = { type: 'password' };
  RED.nodes.registerType('wecom-kf-config', WecomKfConfig, { credentials });

  // Account and servicer pickers in the editor ask a deployed configuration node.
  const deployedClient = (id: string | undefined, res: ExpressResponse): NodeKfStatsClient | undefined => {
    const node = id ? (RED.nodes.getNode(id) as WecomKfConfigNode | null) : null;
    if (!node || typeof node.getClient !== 'function') {
      res.status(404).json({ error: RED._('wecom-kf-config.errors.notDeployed') });
      return undefined;
    }
    try {
      return node.getClient();
    } catch (error) {
      res.status(400).json({ error: (error as Error).message });
      return undefined;
    }
  };
  const answer = (res: ExpressResponse, work: Promise<unknown>) =>
    work.then(
      (body) => res.json(body),
      (error: unknown) => res.status(502).json({ error: error instanceof Error ? error.message : String(error) }),
    );

  RED.httpAdmin.get('/wecom-kf-stats/config/:id/accounts', RED.auth.needsPermission('wecom-kf-config.read'), (req, res) => {
    const client = deployedClient(req.params.id, res);
    if (client) void answer(res, client.listAccounts());
  });
  RED.httpAdmin.get('/wecom-kf-stats/config/:id/servicers', RED.auth.needsPermission('wecom-kf-config.read'), (req, res) => {
    const client = deployedClient(req.params.id, res);
    if (client) void answer(res, client.listServicers(String(req.query.openKfid ?? '')));
  });
}

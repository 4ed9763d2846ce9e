/**
 * Runs workflows in n8n's real execution engine: n8n-core's WorkflowExecute with n8n-workflow's
 * Workflow, the node and credential classes loaded from the built dist/ the way n8n loads a
 * community package (require), real expressions, real parameter resolution, real request helpers
 * (axios through n8n's outbound HTTP stack) and real error handling.
 *
 * What is not n8n's own: the node-type registry holds only this package's node and a stand-in
 * for the Schedule Trigger (n8n-nodes-base is not installed; in trigger mode WorkflowExecute
 * passes a trigger's data through without running its code), and the credentials helper hands
 * out test credentials instead of decrypting them from a database.
 */
import type * as CoreLib from 'n8n-core';
import type * as WorkflowLib from 'n8n-workflow';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type {
  ICredentialDataDecryptedObject,
  ICredentialType,
  IDataObject,
  INode,
  INodeExecutionData,
  INodeType,
  INodeTypes,
  IRun,
  IRunExecutionData,
  IWorkflowBase,
  IWorkflowExecuteAdditionalData,
  WorkflowExecuteMode,
} from 'n8n-workflow';

const require = createRequire(import.meta.url);
export const packageDir = join(import.meta.dirname, '..');

// CommonJS on purpose: the built node requires n8n-workflow's CommonJS build, and so does n8n-core;
// one copy of every class (errors, Workflow) is what n8n itself has.
const workflowLib = require('n8n-workflow') as typeof WorkflowLib;
const coreLib = require('n8n-core') as typeof CoreLib;

export const NODE_TYPE = 'n8n-nodes-wecom-kf-stats.wecomKfStats';
const pkg = require(join(packageDir, 'package.json')) as { n8n: { nodes: string[]; credentials: string[] } };

function loadClass<T>(file: string): T {
  const exported = require(join(packageDir, file)) as Record<string, new () => T>;
  // n8n's loader: the class is named after the file (Foo.node.js -> Foo).
  const className = file.split('/').at(-1)!.split('.')[0]!;
  const Class = exported[className];
  if (typeof Class !== 'function') throw new Error(`${file} does not export class ${className}`);
  return new Class();
}

/** The node and credentials exactly as listed in package.json's n8n field. */
export const builtNode = loadClass<INodeType>(pkg.n8n.nodes[0]!);
export const builtCredentials: ICredentialType[] = pkg.n8n.credentials.map((file) => loadClass<ICredentialType>(file));

class ScheduleTriggerStandIn implements INodeType {
  description = {
    displayName: 'Schedule Trigger',
    name: 'scheduleTrigger',
    group: ['trigger', 'schedule'],
    version: [1, 1.1, 1.2],
    description: 'Stand-in with the real type name; only its description is read in trigger mode',
    defaults: { name: 'Schedule Trigger' },
    inputs: [],
    outputs: ['main'],
    properties: [{ displayName: 'Rule', name: 'rule', type: 'fixedCollection', default: {}, options: [] }],
  } as unknown as INodeType['description'];
  async trigger() {
    return {};
  }
}

const nodeTypesByName: Record<string, INodeType> = {
  [NODE_TYPE]: builtNode,
  'n8n-nodes-base.scheduleTrigger': new ScheduleTriggerStandIn(),
};

const nodeTypes: INodeTypes = {
  getByName: (name) => nodeTypesByName[name]!,
  getByNameAndVersion: (name, version) => workflowLib.NodeHelpers.getVersionedNodeType(nodeTypesByName[name]!, version),
  getKnownTypes: () => ({}),
};

class TestCredentialsHelper extends workflowLib.ICredentialsHelper {
  constructor(private readonly byType: Record<string, ICredentialDataDecryptedObject>) {
    super();
  }
  getParentTypes() {
    return [];
  }
  async authenticate(_c: ICredentialDataDecryptedObject, _t: string, request: never) {
    return request;
  }
  isCredentialUsableByNode() {
    return true;
  }
  async preAuthentication() {
    return undefined;
  }
  async runPreAuthentication() {
    return undefined;
  }
  async getCredentials(): Promise<never> {
    throw new Error('not used: the node reads decrypted credentials');
  }
  async getDecrypted(_a: unknown, nodeCredentials: { id: string | null }, type: string) {
    const data = this.byType[type];
    if (!data) throw new Error(`No test credentials of type ${type} (credential id ${nodeCredentials.id})`);
    return { ...data };
  }
  async updateCredentials() {}
  async updateCredentialsOauthTokenData() {}
  getCredentialsProperties(type: string) {
    return builtCredentials.find((c) => c.name === type)?.properties ?? [];
  }
}

export interface RunOptions {
  /** Credentials by type, as the credential store would decrypt them. */
  credentials?: Record<string, ICredentialDataDecryptedObject>;
  /** Items handed to the start node (a trigger's output, or the first node's input). */
  input?: INodeExecutionData[];
  mode?: WorkflowExecuteMode;
}

export interface RunResult {
  run: IRun;
  /** Output items of a node's first run, first output. */
  output(nodeName: string): INodeExecutionData[];
  /** The error of a node's first run, if it failed. */
  error(nodeName: string): (Error & IDataObject) | undefined;
}

type WorkflowData = Pick<IWorkflowBase, 'nodes' | 'connections'> & Partial<IWorkflowBase>;

function createWorkflow(workflowData: WorkflowData) {
  return new workflowLib.Workflow({
    id: 'test',
    name: workflowData.name ?? 'test',
    nodes: workflowData.nodes,
    connections: workflowData.connections,
    settings: workflowData.settings ?? {},
    active: false,
    nodeTypes,
  });
}

function createAdditionalData(
  credentials: Record<string, ICredentialDataDecryptedObject>,
  extra: Partial<IWorkflowExecuteAdditionalData> = {},
): IWorkflowExecuteAdditionalData {
  return {
    executionId: '1',
    credentialsHelper: new TestCredentialsHelper(credentials),
    currentNodeParameters: undefined,
    restApiUrl: 'http://localhost/rest',
    instanceBaseUrl: 'http://localhost/',
    webhookBaseUrl: 'http://localhost/webhook',
    webhookWaitingBaseUrl: 'http://localhost/webhook-waiting',
    webhookTestBaseUrl: 'http://localhost/webhook-test',
    formWaitingBaseUrl: 'http://localhost/form-waiting',
    variables: {},
    userId: 'test-user',
    executeWorkflow: async () => {
      throw new Error('not used');
    },
    getRunExecutionData: async () => undefined,
    logAiEvent: () => {},
    setExecutionStatus: () => {},
    sendDataToUI: () => {},
    startRunnerTask: async () => {
      throw new Error('not used');
    },
    ...extra,
  } as unknown as IWorkflowExecuteAdditionalData;
}

export async function runWorkflow(workflowData: WorkflowData, options: RunOptions = {}): Promise<RunResult> {
  const workflow = createWorkflow(workflowData);
  const hooks = new coreLib.ExecutionLifecycleHooks('trigger', '1', { ...workflowData, id: 'test' } as IWorkflowBase);
  let resolveFinished!: (run: IRun) => void;
  const finished = new Promise<IRun>((resolve) => (resolveFinished = resolve));
  hooks.addHandler('workflowExecuteAfter', (run: IRun) => resolveFinished(run));
  const additionalData = createAdditionalData(options.credentials ?? {}, { hooks });

  const startNode: INode = workflow.getStartNode()!;
  const runExecutionData: IRunExecutionData = {
    resultData: { runData: {} },
    executionData: {
      contextData: {},
      metadata: {},
      waitingExecution: {},
      waitingExecutionSource: null,
      nodeExecutionStack: [{ node: startNode, data: { main: [options.input ?? [{ json: {} }]] }, source: null }],
    },
  } as unknown as IRunExecutionData;

  const execute = new coreLib.WorkflowExecute(additionalData, options.mode ?? 'trigger', runExecutionData);
  await execute.processRunExecutionData(workflow);
  const run = await finished;
  return {
    run,
    output: (nodeName) => run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[0] ?? [],
    error: (nodeName) => run.data.resultData.runData[nodeName]?.[0]?.error as (Error & IDataObject) | undefined,
  };
}

/**
 * Calls a loadOptions method the way n8n's editor backend does: n8n-core's LoadOptionsContext
 * around the node as currently configured in the editor.
 */
export async function loadOptions(
  method: string,
  parameterPath: string,
  workflowData: WorkflowData,
  credentials: Record<string, ICredentialDataDecryptedObject>,
) {
  const workflow = createWorkflow(workflowData);
  const node = workflowData.nodes[0]!;
  const additionalData = createAdditionalData(credentials, { currentNodeParameters: node.parameters });
  const context = new coreLib.LoadOptionsContext(workflow, node, additionalData, parameterPath);
  const fn = (builtNode.methods!.loadOptions as Record<string, (this: unknown) => Promise<unknown>>)[method]!;
  return fn.call(context);
}

/**
 * n8n-core's real request helpers (`httpRequest` through n8n's outbound HTTP stack), as n8n hands
 * them to a credential's `preAuthentication`.
 */
export function requestHelpers() {
  const workflowData = singleNodeWorkflow({}, 'wecomKfSelfBuiltApi');
  const additionalData = createAdditionalData({}, { currentNodeParameters: {} });
  return new coreLib.LoadOptionsContext(createWorkflow(workflowData), workflowData.nodes[0]!, additionalData, 'parameters.openKfid')
    .helpers;
}

/** A one-node workflow around the node with these parameters. */
export function singleNodeWorkflow(parameters: IDataObject, credentialType: string): Pick<IWorkflowBase, 'nodes' | 'connections'> {
  return {
    nodes: [
      {
        id: 'c0ffee00-0000-4000-8000-000000000001',
        name: 'KF',
        type: NODE_TYPE,
        typeVersion: 1,
        position: [0, 0],
        parameters: parameters as INode['parameters'],
        credentials: { [credentialType]: { id: '1', name: 'test credential' } },
      },
    ],
    connections: {},
  };
}

export { workflowLib, coreLib };

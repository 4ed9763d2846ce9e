/**
 * Which Node-RED the tests run against: the installed devDependency, or another installation
 * named by NODE_RED_TEST_PREFIX (a folder whose node_modules holds node-red and
 * node-red-node-test-helper), e.g. Node-RED 5 under Node 24.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const prefix = process.env.NODE_RED_TEST_PREFIX;
export const hostRequire = createRequire(prefix ? path.join(path.resolve(prefix), 'package.json') : import.meta.url);
export const nodeRedMain = hostRequire.resolve('node-red');
export const nodeRedDir = path.dirname(hostRequire.resolve('node-red/package.json'));
export const nodeRedRequire = createRequire(nodeRedMain);

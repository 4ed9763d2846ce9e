/** `wecom-kf-simulator`: runs the simulator until SIGINT or SIGTERM. */

import { parseCliArgs, USAGE, UsageError } from './cli-args.js';
import type { Simulator } from './types.js';
import { startSimulator } from './server.js';

function describe(simulator: Simulator): string {
  const { selfBuilt, suite, tokenService, accounts, extraCorps } = simulator.fixtures;
  const lines = [
    `WeCom KF statistics simulator listening on ${simulator.url}`,
    '',
    'Demo credentials (fixtures of the simulator, not secrets):',
    `  self-built app    WECOM_CORP_ID=${selfBuilt.corpId} WECOM_CORP_SECRET=${selfBuilt.corpSecret}`,
    `  service provider  WECOM_SUITE_ID=${suite.suiteId} WECOM_SUITE_SECRET=${suite.suiteSecret}`,
    `                    WECOM_SUITE_TICKET=${suite.suiteTicket}`,
    `                    WECOM_AUTH_CORP_ID=${suite.authCorpId} WECOM_PERMANENT_CODE=${suite.permanentCode}`,
    `  token service     GET ${simulator.url}${tokenService.path}?corpid=${selfBuilt.corpId}`,
    `                    with header ${tokenService.headerName}: ${tokenService.headerValue}`,
    `  KF accounts       ${accounts.map((account) => `${account.open_kfid} (${account.name})`).join(', ')}`,
  ];
  if (extraCorps.selfBuilt.length > 0) {
    lines.push(`  extra corps       ${extraCorps.selfBuilt.length} self-built, ${extraCorps.suiteAuth.length} suite-authorized`);
  }
  lines.push('', 'Press Ctrl+C to stop.');
  return lines.join('\n');
}

async function main(args: readonly string[]): Promise<void> {
  let command;
  try {
    command = parseCliArgs(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`wecom-kf-simulator: ${error.message}\nRun wecom-kf-simulator --help for usage.\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const simulator = await startSimulator(command.options);
  process.stdout.write(`${describe(simulator)}\n`);
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void simulator.close().then(() => {
      process.stdout.write('Simulator stopped.\n');
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`wecom-kf-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

/** `wecom-kf-simulator`: runs the simulator until SIGINT or SIGTERM. */

import { parseCliArgs, USAGE, UsageError } from './cli-args.js';
import { banner, deliveryLine } from './cli-text.js';
import { startSimulator } from './server.js';

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
  const { callback } = command;
  process.stdout.write(`${banner(simulator, callback, command.options.pushedTicketsOnly === true)}\n`);
  if (callback) {
    simulator.provider.configure({
      url: callback.url,
      token: callback.token,
      encodingAesKey: callback.encodingAesKey,
      ticketIntervalMinutes: callback.ticketIntervalMinutes,
      onDelivery: (delivery) => process.stdout.write(`${deliveryLine(delivery)}\n`),
    });
    void simulator.provider
      .verifyUrl()
      .then(() => simulator.provider.pushTicket())
      .catch(() => undefined);
  }
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

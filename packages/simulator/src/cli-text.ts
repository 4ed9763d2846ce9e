/** What `wecom-kf-simulator` prints: the startup banner and one line per callback delivery. */

import { CALLBACK_AES_KEY_ENV, CALLBACK_TOKEN_ENV, type CliCallback } from './cli-args.js';
import type { CallbackDelivery } from './provider.js';
import type { Simulator } from './types.js';

/** What the command line prints once the simulator listens. */
export function banner(simulator: Simulator, callback: CliCallback | undefined, pushedTicketsOnly: boolean): string {
  const { selfBuilt, suite, tokenService, accounts, extraCorps } = simulator.fixtures;
  const lines = [
    `WeCom KF statistics simulator listening on ${simulator.url}`,
    '',
    'Demo credentials (fixtures of the simulator, not secrets):',
    `  self-built app    WECOM_CORP_ID=${selfBuilt.corpId} WECOM_CORP_SECRET=${selfBuilt.corpSecret}`,
    `  service provider  WECOM_SUITE_ID=${suite.suiteId} WECOM_SUITE_SECRET=${suite.suiteSecret}`,
    pushedTicketsOnly
      ? `                    WECOM_SUITE_TICKET=${suite.suiteTicket} is refused (--pushed-tickets-only): use pushed tickets`
      : `                    WECOM_SUITE_TICKET=${suite.suiteTicket}`,
    `                    WECOM_AUTH_CORP_ID=${suite.authCorpId} WECOM_PERMANENT_CODE=${suite.permanentCode}`,
    `  token service     GET ${simulator.url}${tokenService.path}?corpid=${selfBuilt.corpId}`,
    `                    with header ${tokenService.headerName}: ${tokenService.headerValue}`,
    `  KF accounts       ${accounts.map((account) => `${account.open_kfid} (${account.name})`).join(', ')}`,
  ];
  if (extraCorps.selfBuilt.length > 0) {
    lines.push(`  extra corps       ${extraCorps.selfBuilt.length} self-built, ${extraCorps.suiteAuth.length} suite-authorized`);
  }
  if (callback) {
    lines.push(
      '',
      `Command callback: verifying ${callback.url}, then pushing a new suite_ticket (valid 30 minutes)`,
      `now and every ${callback.ticketIntervalMinutes} minutes; Token from ${CALLBACK_TOKEN_ENV}, EncodingAESKey from ${CALLBACK_AES_KEY_ENV}.`,
    );
  }
  lines.push('', 'Press Ctrl+C to stop.');
  return lines.join('\n');
}

/** One line per delivery to the command callback; it never shows the ticket or codes. */
export function deliveryLine(delivery: CallbackDelivery): string {
  const time = new Date(delivery.at).toISOString();
  const answer =
    delivery.status === 0
      ? `no answer (${delivery.error ?? 'unknown error'})`
      : `HTTP ${delivery.status} ${JSON.stringify(delivery.body.length > 80 ? `${delivery.body.slice(0, 80)}…` : delivery.body)}`;
  let verdict = '';
  if (delivery.ok) verdict = ', accepted';
  else if (delivery.status !== 0) verdict = delivery.kind === 'verify_url' ? ', not the plain echostr' : ', not "success"';
  return `${time} callback ${delivery.kind}${delivery.automatic ? ' (automatic)' : ''}: ${answer}${verdict}`;
}

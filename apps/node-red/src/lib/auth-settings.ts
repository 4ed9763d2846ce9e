/**
 * The config node's settings and credentials, turned into core's auth options. Core validates
 * them (a missing secret is a ValidationError naming the field); this module only maps names.
 */
import { ValidationError, type AuthOptions } from '@wecom-kf-stats/core/node';

/** Where a service provider's suite_ticket comes from. */
export type SuiteTicketSource = 'credential' | 'global';

export interface ConfigSettings {
  authType?: string;
  corpId?: string;
  suiteId?: string;
  authCorpId?: string;
  suiteTicketSource?: string;
  suiteTicketContextKey?: string;
  tokenServiceUrl?: string;
  tokenServiceHeader?: string;
}

/** Stored in Node-RED's credential store, never in the flow. */
export interface ConfigCredentials {
  corpSecret?: string;
  suiteSecret?: string;
  suiteTicket?: string;
  permanentCode?: string;
  accessToken?: string;
  tokenServiceHeaderValue?: string;
}

export const CREDENTIAL_FIELDS: readonly (keyof ConfigCredentials)[] = [
  'corpSecret',
  'suiteSecret',
  'suiteTicket',
  'permanentCode',
  'accessToken',
  'tokenServiceHeaderValue',
];

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value.trim() : undefined);

/**
 * @param readGlobal reads a global context value: WeCom pushes a new suite_ticket every
 *   10 minutes (valid 30), so a flow that receives the callback can keep it there.
 */
export function authFromSettings(
  settings: ConfigSettings,
  credentials: ConfigCredentials,
  readGlobal: (key: string) => unknown,
): AuthOptions {
  switch (settings.authType) {
    case 'selfBuilt':
      return { type: 'selfBuilt', corpId: text(settings.corpId)!, corpSecret: credentials.corpSecret! };
    case 'serviceProvider': {
      const key = text(settings.suiteTicketContextKey) ?? '';
      const fromGlobal = () => {
        const ticket = readGlobal(key);
        if (typeof ticket !== 'string' || ticket.trim() === '') {
          throw new ValidationError(
            `global.${key}`,
            ticket,
            'the newest suite_ticket WeCom pushed to your callback, stored there by your flow',
          );
        }
        return ticket;
      };
      const suiteTicket = settings.suiteTicketSource === 'global' ? fromGlobal : credentials.suiteTicket!;
      return {
        type: 'serviceProvider',
        suiteId: text(settings.suiteId)!,
        suiteSecret: credentials.suiteSecret!,
        suiteTicket,
        authCorpId: text(settings.authCorpId)!,
        permanentCode: credentials.permanentCode!,
      };
    }
    case 'token':
      return { type: 'token', accessToken: credentials.accessToken! };
    case 'tokenService': {
      const header = text(settings.tokenServiceHeader);
      const value = credentials.tokenServiceHeaderValue;
      return {
        type: 'tokenService',
        url: text(settings.tokenServiceUrl)!,
        ...(header && value ? { headers: { [header]: value } } : {}),
      };
    }
    default:
      // Core names the allowed types in its error.
      return { type: settings.authType } as unknown as AuthOptions;
  }
}

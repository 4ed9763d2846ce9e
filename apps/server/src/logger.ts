/**
 * Structured logs (pino, JSON lines on stderr). Every string passes through core's redaction, so a
 * token, secret, ticket or permanent code never reaches the log; the Authorization header is cut.
 */
import { pino, type Logger } from 'pino';
import { redactText } from './kf-core.js';

/**
 * What the server's parts log through: a pino child logger of the part (`component` and the
 * ids it works on as fields, then the message), or a silent stand-in. pino's Logger is one.
 */
export interface Log {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A Log that keeps nothing. */
export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino(
    {
      level,
      base: { service: 'wecom-kf-stats-server' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (error: Error) => ({ type: error.name, message: redactText(error.message) }),
        // The path only: a query may hold what does not belong in a log (a key sent as ?api_key=).
        req: (request: { method?: string; url?: string; ip?: string }) => ({
          method: request.method,
          url: request.url?.split('?', 1)[0],
          remoteAddress: request.ip,
        }),
      },
    },
    stream as pino.DestinationStream,
  );
}

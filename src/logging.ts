/** Structured JSON logs (pino). Secrets are redacted; message text is logged only at debug level by callers. */
import pino from 'pino';

export function createLogger(level: string): pino.Logger {
  return pino({
    level,
    base: { service: 'teams-live-handover' },
    redact: { paths: ['*.authorization', '*.Authorization', '*.password', '*.key', '*.token', 'headers.authorization'], censor: '[redacted]' },
  });
}

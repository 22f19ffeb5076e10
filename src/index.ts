/** Entry point: validate configuration, start, and stop cleanly on SIGTERM/SIGINT. */
import * as crypto from 'node:crypto';
import { startApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logging';

async function main(): Promise<void> {
  // Outbox ids are hashed with crypto.hash, which Node has from 20.12 (package.json's engines is not enforced).
  if (typeof (crypto as { hash?: unknown }).hash !== 'function') {
    console.error(`Node 20.12 or later is required; this is ${process.version}.`);
    process.exit(1);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));
  const app = await startApp(config, { log });
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main().catch((err) => {
  console.error('failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

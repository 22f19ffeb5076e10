/** Runs a dev program until Ctrl+C or SIGTERM, then stops what it started; a start-up failure exits 1 with its reason. */
export function runUntilStopped(name: string, start: () => Promise<{ stop(): Promise<void> }>): void {
  start().then(
    (running) => {
      const stop = async () => {
        await running.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    },
    (err: unknown) => {
      console.error(`${name} failed:`, err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}

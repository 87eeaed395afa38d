// Entry point of `npm start` / `npm run dev`: boots the orchestrator from the
// process environment and turns boot failures into a clear message and exit 1.
import { startOrchestrator } from './app.js';
import { ConfigError } from './errors/index.js';

try {
  const orchestrator = await startOrchestrator({ env: process.env });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    orchestrator.log.info({ signal }, 'shutting down');
    orchestrator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        orchestrator.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`ai-implement: ${error.message}\n`);
  } else {
    process.stderr.write(`ai-implement: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
}

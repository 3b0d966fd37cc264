/**
 * nucleon-server --config-file /etc/neutron/neutron.conf [--config-file ...]
 * Serves the API on [DEFAULT] bind_host:bind_port, with api_workers processes when set.
 */
import cluster from 'node:cluster';

import { loadNeutronConfig } from '../server/config.js';
import { startApiServer } from '../server/apiServer.js';
import { createLogger, loggingSettings } from '../server/logger.js';
import { runMain } from './run.js';

runMain('nucleon-server', async () => {
  const { loaded } = loadNeutronConfig(process.argv.slice(2));
  const log = createLogger('nucleon-server', loggingSettings(loaded, 'nucleon-server'));
  for (const warning of loaded.warnings) log.warn(warning);
  const workers = loaded.config.DEFAULT.api_workers ?? 0;
  if (workers > 1 && cluster.isPrimary) {
    // The workers share the listening socket; each has its own database pool.
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', (worker, code) => log.error({ pid: worker.process.pid, code }, 'API worker exited'));
    return;
  }
  const api = await startApiServer(loaded, log, { migrate: false });
  log.info({ url: api.url, pid: process.pid }, 'serving the Networking API');
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});

/** nucleon-db-manage --config-file neutron.conf upgrade head | current */
import { runDbManage } from '../db/manage.js';
import { loadNeutronConfig } from '../server/config.js';
import { runMain } from './run.js';

runMain('nucleon-db-manage', async () => {
  const { loaded, commandLine } = loadNeutronConfig(process.argv.slice(2));
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  const connection = loaded.required('database', 'connection');
  return runDbManage(connection, [...commandLine.positional], (line) => process.stdout.write(`${line}\n`));
});

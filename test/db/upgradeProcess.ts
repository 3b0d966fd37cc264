/**
 * `nucleon-db-manage upgrade head` in a process of its own, for the test that
 * starts several at once against one database:
 *   node --import tsx upgradeProcess.ts <url>
 * prints `ready` once loaded and starts when it reads a line on stdin, so that
 * the parent can release all of them at the same moment.
 */
import { once } from 'node:events';
import { runDbManage } from '../../src/db/manage.js';

const url = process.argv[2];
if (url === undefined) {
  console.error('usage: upgradeProcess.ts <database url>');
  process.exit(2);
}
console.log('ready');
await once(process.stdin, 'data');
process.stdin.pause();
process.exitCode = await runDbManage(url, ['upgrade', 'head'], (line) => console.log(line));

/**
 * Two attributes of ports, kept on the port's own row (Neutron keeps each in
 * a table of its own, one row per port that has one, which reads the same):
 * `device_profile`, the Cyborg device profile a port was created with
 * (neutron/db/models/port_device_profile.py, up to 255 characters), and
 * `numa_affinity_policy` (models/port_numa_affinity_policy.py: required,
 * preferred or legacy). Both null when unset; ports that exist have neither.
 *
 * Frozen in time: this file imports nothing from the application, and once
 * released it never changes.
 */
import { type AnyDb, portable } from './portable.js';

export async function up(db: AnyDb): Promise<void> {
  const { str } = portable(db);
  // One column per statement: SQLite adds a single column per ALTER TABLE.
  await db.schema.alterTable('ports').addColumn('device_profile', str(255)).execute();
  await db.schema.alterTable('ports').addColumn('numa_affinity_policy', str(16)).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('ports').dropColumn('numa_affinity_policy').execute();
  await db.schema.alterTable('ports').dropColumn('device_profile').execute();
}

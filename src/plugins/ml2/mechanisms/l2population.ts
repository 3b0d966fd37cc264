import type { MechanismDriver } from './mechanismDriver.js';

/**
 * l2population binds nothing: it keeps the forwarding entries agents need
 * (which hosts have ports on which network). Its notifications come with the
 * agents' RPC.
 */
export const l2population: MechanismDriver = { name: 'l2population' };

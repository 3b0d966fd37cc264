/**
 * The names Neutron's L3 agent gives what it builds (namespaces.py,
 * router_info.py, interface.py): the namespace `qrouter-<router id>`, and per
 * port a veth pair whose host end is `tap<port id[:11]>` (the Linux bridge
 * agent enslaves it to the network's bridge) and whose router end is
 * `qr-<port id[:11]>` for an interface, `qg-<port id[:11]>` for the gateway.
 */
export const ROUTER_NAMESPACE_PREFIX = 'qrouter-';
export const INTERNAL_DEVICE_PREFIX = 'qr-';
export const EXTERNAL_DEVICE_PREFIX = 'qg-';

const DEVICE_ID_LENGTH = 11;

export const tapName = (portId: string): string => `tap${portId.slice(0, DEVICE_ID_LENGTH)}`;
export const internalDeviceName = (portId: string): string => `${INTERNAL_DEVICE_PREFIX}${portId.slice(0, DEVICE_ID_LENGTH)}`;
export const externalDeviceName = (portId: string): string => `${EXTERNAL_DEVICE_PREFIX}${portId.slice(0, DEVICE_ID_LENGTH)}`;

/** The router's namespace; `prefix` is `qrouter-` except where a test keeps its namespaces apart from the machine's. */
export const routerNamespace = (routerId: string, prefix = ROUTER_NAMESPACE_PREFIX): string => `${prefix}${routerId}`;

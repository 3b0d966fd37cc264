/**
 * [ui]: the network topology page the server serves at /ui/ (docs/ui.md).
 * Its files need no token; everything it shows comes from the API with the
 * token of whoever logs in, so it sees what that user's API calls see.
 */
import type { OptionGroup } from './types.js';

export const uiOptions = [
  {
    section: 'ui',
    name: 'enabled',
    type: { kind: 'boolean' },
    default: true,
    help:
      'Serve the network topology page at /ui/: networks, subnets, routers, ports and instances as a graph, the agents, ' +
      "a port's path, and creating and deleting networks, subnets and ports. Its files need no token; users log in with " +
      'their Keystone credentials (through this server, to [keystone_authtoken] www_authenticate_uri or auth_url), or go ' +
      'straight in under auth_strategy = noauth. False: /ui/ answers 404.',
  },
] as const satisfies OptionGroup;

import type { ExtensionDecl } from '../types.js';

export const extraDhcpOpt = {
  alias: 'extra_dhcp_opt',
  name: 'Neutron Extra DHCP options',
  description: 'Per-port DHCP options handed to the DHCP server (boot file, TFTP server, numeric options).',
  updated: '2013-03-17T12:00:00-00:00',
  extends: {
    ports: {
      extra_dhcp_opts: {
        type: {
          kind: 'list',
          of: {
            kind: 'object',
            fields: {
              opt_name: { type: { kind: 'string', maxLength: 64 }, required: true },
              opt_value: { type: { kind: 'string', maxLength: 255 }, nullable: true },
              ip_version: { type: { kind: 'enum', values: [4, 6] } },
            },
          },
        },
        post: true,
        put: true,
        default: () => [],
      },
    },
  },
} as const satisfies ExtensionDecl;

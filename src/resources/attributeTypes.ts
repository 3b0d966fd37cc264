/** Attribute types that many declarations share. */
import type { AttrType } from './types.js';

export const uuid = { kind: 'uuid' } as const satisfies AttrType;
export const bool = { kind: 'boolean' } as const satisfies AttrType;
export const name = { kind: 'string', maxLength: 255, name: true } as const satisfies AttrType;
export const string255 = { kind: 'string', maxLength: 255 } as const satisfies AttrType;
export const projectId = { kind: 'string', maxLength: 255 } as const satisfies AttrType;
export const timestamp = { kind: 'string' } as const satisfies AttrType;
export const ipAddress = { kind: 'ip' } as const satisfies AttrType;
export const cidr = { kind: 'cidr' } as const satisfies AttrType;
export const mac = { kind: 'mac' } as const satisfies AttrType;
export const dict = { kind: 'dict' } as const satisfies AttrType;
export const uuidList = { kind: 'list', of: uuid, unique: true } as const satisfies AttrType;
export const stringList = { kind: 'list', of: string255 } as const satisfies AttrType;
/** neutron-lib's convert_to_int + type:non_negative (subnet pools' prefix lengths and quota, a subnet's prefixlen). */
export const nonNegative = { kind: 'integer', min: 0, nonNegative: true } as const satisfies AttrType;

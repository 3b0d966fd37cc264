/**
 * Executes IPAM plans against the database. The pure side (which subnet,
 * which rules) is plugins/ipam; this side reads what is taken and inserts.
 * Two servers may pick the same free address at once: the ipallocations
 * primary key refuses the second insert and the transaction is re-run.
 */
import { IpAddressGenerationFailure, IpAddressInUse } from '../../common/errors.js';
import type { Tx } from '../../db/schema.js';
import {
  type FixedIpPlanItem,
  type FixedIpRequest,
  planFixedIps,
  type PortAddressing,
  type PortSubnet,
  prefersNextAddress,
  updateFixedIps,
} from '../ipam/fixedIpsRequest.js';
import { countAddresses, firstFreeAddress, PICK_WINDOW, pickAddress, randomPoolAddresses } from '../ipam/freeAddresses.js';
import type { AllocationPool, FixedIp, IpVersion, Ipv6Mode } from '../ipam/types.js';
import type { CoreDeps } from './deps.js';

/** Pools larger than this are probed at random rather than read whole. */
const PROBE_ABOVE = 1024n;
const PROBE_BATCH = 32;

export interface AllocatedIp {
  subnet_id: string;
  ip_address: string;
}

export interface AllocationTarget {
  readonly portId: string;
  readonly networkId: string;
  readonly mac: string;
  readonly deviceOwner: string;
  /** fixed_ips as the API received them; undefined = automatic. */
  readonly requested: readonly Record<string, string>[] | undefined;
}

interface NetworkSubnets {
  readonly list: readonly PortSubnet[];
  /** Ids that exist: the network's and, among those the request names, other networks'. */
  readonly existing: ReadonlySet<string>;
}

const toRequest = (entry: Record<string, string>): FixedIpRequest => ({
  subnetId: entry.subnet_id,
  ipAddress: entry.ip_address,
});

export class FixedIpAllocator {
  constructor(private readonly deps: CoreDeps) {}

  /** Addresses for a new port. */
  async allocate(tx: Tx, target: AllocationTarget): Promise<AllocatedIp[]> {
    const subnets = await this.networkSubnets(tx, target);
    const plan = planFixedIps(target.requested?.map(toRequest), this.addressing(target, subnets));
    const out: AllocatedIp[] = [];
    for (const item of plan) out.push(await this.execute(tx, target, item));
    return out;
  }

  /** fixed_ips replaced on update: kept addresses stay, removed ones are freed, new ones allocated. */
  async reallocate(tx: Tx, target: AllocationTarget & { readonly previousMac?: string }): Promise<void> {
    const subnets = await this.networkSubnets(tx, target);
    const current: FixedIp[] = (
      await tx.selectFrom('ipallocations').select(['subnet_id', 'ip_address']).where('port_id', '=', target.portId).execute()
    ).map((r) => ({ subnetId: r.subnet_id, ipAddress: r.ip_address }));
    const change = updateFixedIps(current, target.requested?.map(toRequest), {
      ...this.addressing(target, subnets),
      previousMacAddress: target.previousMac,
    });
    for (const ip of change.remove) {
      await tx
        .deleteFrom('ipallocations')
        .where('port_id', '=', target.portId)
        .where('subnet_id', '=', ip.subnetId)
        .where('ip_address', '=', ip.ipAddress)
        .execute();
    }
    for (const item of change.add) await this.execute(tx, target, item);
  }

  private addressing(target: AllocationTarget, subnets: NetworkSubnets): PortAddressing {
    return {
      networkId: target.networkId,
      subnets: subnets.list,
      deviceOwner: target.deviceOwner,
      macAddress: target.mac,
      maxFixedIpsPerPort: this.deps.options.maxFixedIpsPerPort,
      subnetExists: (id) => subnets.existing.has(id),
    };
  }

  private async networkSubnets(tx: Tx, target: AllocationTarget): Promise<NetworkSubnets> {
    const rows = await tx
      .selectFrom('subnets')
      .select(['id', 'cidr', 'ip_version', 'ipv6_ra_mode', 'ipv6_address_mode', 'enable_dhcp'])
      .where('network_id', '=', target.networkId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const serviceTypes =
      rows.length === 0 ? [] : await tx.selectFrom('subnet_service_types').selectAll().where('subnet_id', 'in', rows.map((r) => r.id)).execute();
    const list: PortSubnet[] = rows.map((r) => ({
      id: r.id,
      cidr: r.cidr,
      ipVersion: r.ip_version as IpVersion,
      ipv6RaMode: r.ipv6_ra_mode as Ipv6Mode | null,
      ipv6AddressMode: r.ipv6_address_mode as Ipv6Mode | null,
      enableDhcp: r.enable_dhcp === 1,
      serviceTypes: serviceTypes.filter((t) => t.subnet_id === r.id).map((t) => t.service_type),
    }));
    // Subnets named in the request but not on this network: told apart from unknown ones (400 vs 404).
    const named = (target.requested ?? []).map((e) => e.subnet_id).filter((id): id is string => typeof id === 'string');
    const foreign = named.filter((id) => !list.some((s) => s.id === id));
    const existing = new Set(list.map((s) => s.id));
    if (foreign.length > 0) {
      const found = await tx.selectFrom('subnets').select('id').where('id', 'in', foreign).execute();
      for (const f of found) existing.add(f.id);
    }
    return { list, existing };
  }

  private async execute(tx: Tx, target: AllocationTarget, item: FixedIpPlanItem): Promise<AllocatedIp> {
    switch (item.kind) {
      case 'explicit': {
        const taken = await tx
          .selectFrom('ipallocations')
          .select('port_id')
          .where('subnet_id', '=', item.subnetId)
          .where('ip_address', '=', item.ipAddress)
          .executeTakeFirst();
        if (taken) throw new IpAddressInUse(target.networkId, item.ipAddress);
        return this.insert(tx, target, item.subnetId, item.ipAddress);
      }
      case 'slaac':
        return this.insert(tx, target, item.subnetId, item.ipAddress);
      case 'any':
      case 'any-of': {
        for (const subnetId of item.kind === 'any' ? [item.subnetId] : item.subnetIds) {
          const address = await this.freeAddress(tx, subnetId, target.deviceOwner);
          if (address !== null) return this.insert(tx, target, subnetId, address);
        }
        throw new IpAddressGenerationFailure(target.networkId);
      }
    }
  }

  /**
   * A free address of the subnet, or null when its pools are full. Large
   * pools are probed with a batch of random candidates (one indexed query);
   * small or crowded ones are read whole.
   */
  private async freeAddress(tx: Tx, subnetId: string, deviceOwner: string): Promise<string | null> {
    const pools: AllocationPool[] = (
      await tx.selectFrom('subnet_allocation_pools').select(['first_ip', 'last_ip']).where('subnet_id', '=', subnetId).orderBy('id').execute()
    ).map((p) => ({ start: p.first_ip, end: p.last_ip }));
    // DHCP ports take the first free address, as Neutron does, so they are predictable.
    const next = prefersNextAddress(deviceOwner);
    if (!next && countAddresses(pools) > PROBE_ABOVE) {
      // Candidates come from the start of the pools, as Neutron's allocator keeps
      // addresses compact: with `used` taken among the first 2*used+1000, at least
      // half of that window is free, so a batch practically always has a free one.
      const { used } = await tx
        .selectFrom('ipallocations')
        .select((eb) => eb.fn.countAll<number>().as('used'))
        .where('subnet_id', '=', subnetId)
        .executeTakeFirstOrThrow();
      const window = 2n * BigInt(used) + BigInt(PICK_WINDOW);
      const candidates = randomPoolAddresses(pools, PROBE_BATCH, this.deps.random, window);
      const taken = new Set(
        (
          await tx
            .selectFrom('ipallocations')
            .select('ip_address')
            .where('subnet_id', '=', subnetId)
            .where('ip_address', 'in', candidates)
            .execute()
        ).map((a) => a.ip_address),
      );
      const free = candidates.find((c) => !taken.has(c));
      if (free !== undefined) return free;
    }
    const allocated = (await tx.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnetId).execute()).map(
      (a) => a.ip_address,
    );
    return next ? firstFreeAddress(pools, allocated) : pickAddress(pools, allocated, this.deps.random);
  }

  private async insert(tx: Tx, target: AllocationTarget, subnetId: string, ipAddress: string): Promise<AllocatedIp> {
    await tx
      .insertInto('ipallocations')
      .values({ subnet_id: subnetId, ip_address: ipAddress, port_id: target.portId, network_id: target.networkId })
      .execute();
    return { subnet_id: subnetId, ip_address: ipAddress };
  }
}

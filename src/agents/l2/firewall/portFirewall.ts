/**
 * The security-group step of an L2 agent's pass, shared by the Linux bridge
 * agent and the Open vSwitch agent's iptables_hybrid mode (whose ports sit
 * in a Linux bridge of their own): asks the server for the groups of the
 * wired ports only when something says they may have changed (a
 * notification about a group they involve, a port looked up again, another
 * set of ports), and brings the host's nftables firewall to them in one
 * transaction. With the noop driver a first pass removes the tables an
 * earlier firewall_driver left, which would otherwise go on filtering.
 */
import type { Logger } from 'pino';

import type { FirewallKind } from '../../../config/securityGroupOptions.js';
import type { ContractClient, SecurityGroupInfo, securityGroupServerApi } from '../../../rpc/contract/index.js';
import { LinuxBridgeFirewall } from './firewall.js';
import { firewallInput, groupsInvolved } from './fromServer.js';

/** What the firewall knew of the server's security groups, and for which devices. */
interface SecurityGroupView {
  readonly devices: string;
  readonly info: SecurityGroupInfo;
  /** The groups and address groups it involves: notifications about others are not ours. */
  readonly involved: ReadonlySet<string>;
}

const NO_DEVICES: SecurityGroupInfo = { devices: {}, security_groups: {}, sg_member_ips: {} };

export class PortFirewall {
  private readonly firewall: LinuxBridgeFirewall;
  private view: SecurityGroupView | undefined;
  private stale = true;
  private leftoversRemoved = false;

  constructor(
    private readonly kind: FirewallKind,
    netns: string | undefined,
    private readonly securityGroups: ContractClient<typeof securityGroupServerApi.methods>,
    private readonly log: Logger,
  ) {
    this.firewall = new LinuxBridgeFirewall(netns);
  }

  /** A notification: rules or members of these groups changed (undefined: of any group). True when it concerns our ports. */
  groupsChanged(ids: readonly string[] | undefined): boolean {
    if (ids !== undefined && !ids.some((id) => this.view?.involved.has(id) === true)) return false;
    this.stale = true;
    return true;
  }

  /** Ask again at the next pass (a port was looked up again, the server revived us). */
  markStale(): void {
    this.stale = true;
  }

  /**
   * Brings the firewall to the groups of `devices` (the names the server
   * knows the ports by, which are the devices the rules match on); `bridgeOf`
   * gives the bridge a port is in, undefined for one not wired. Returns the
   * nft script run (or, without `apply`, that would run); '' when right. A
   * failure fails the pass, so no port is wired unfiltered.
   */
  async pass(devices: readonly string[], bridgeOf: (networkId: string, device: string) => string | undefined, apply: boolean): Promise<string> {
    if (this.kind === 'noop') {
      if (apply && !this.leftoversRemoved) {
        this.leftoversRemoved = true;
        await this.firewall.pass(undefined, true).catch((err: unknown) => this.log.warn({ err }, 'could not look for the firewall tables of an earlier firewall_driver'));
      }
      return '';
    }
    const sorted = [...devices].sort();
    const key = sorted.join(' ');
    let view = this.view;
    if (this.stale || view?.devices !== key) {
      // Cleared before asking: a notification that arrives meanwhile asks again next pass.
      this.stale = false;
      try {
        const info = sorted.length === 0 ? NO_DEVICES : await this.securityGroups.call('security_group_info_for_devices', { devices: sorted });
        view = { devices: key, info, involved: groupsInvolved(info) };
      } catch (err) {
        this.stale = true;
        throw err;
      }
      if (apply) this.view = view;
    }
    return this.firewall.pass(firewallInput(view.info, bridgeOf), apply);
  }
}

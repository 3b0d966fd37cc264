/**
 * The NotFound a resource answers for an id the caller may not see, so that
 * a policy refusal that must not reveal the object looks exactly like a
 * missing one (neutron-api.md 1.4). Resources without their own type get
 * the generic HTTPNotFound, as upstream's policy hook answers.
 */
import { NetworkNotFound, NotFound, type NeutronError, PortNotFound, SubnetNotFound } from '../../common/errors.js';
import { SecurityGroupNotFound, SecurityGroupRuleNotFound } from '../../plugins/securitygroups/errors.js';

const BY_MEMBER: Readonly<Record<string, (id: string) => NeutronError>> = {
  network: (id) => new NetworkNotFound(id),
  subnet: (id) => new SubnetNotFound(id),
  port: (id) => new PortNotFound(id),
  security_group: (id) => new SecurityGroupNotFound(id),
  security_group_rule: (id) => new SecurityGroupRuleNotFound(id),
};

export function notFoundError(member: string, id: string): NeutronError {
  return BY_MEMBER[member]?.(id) ?? new NotFound();
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as topics from '../../src/rpc/topics.js';
import { fanoutExchangeName, fanoutQueueName, queueName, replyQueueName } from '../../src/rpc/routing.js';

describe('Neutron topic names', () => {
  it('are the strings Neutron uses', () => {
    assert.equal(topics.PLUGIN, 'q-plugin');
    assert.equal(topics.REPORTS, 'q-reports-plugin');
    assert.equal(topics.DHCP_AGENT, 'dhcp_agent');
    assert.equal(topics.L3_AGENT, 'l3_agent');
    assert.equal(topics.DHCP, 'q-dhcp-notifer'); // sic
    assert.equal(topics.L3PLUGIN, 'q-l3-plugin');
  });

  it('get_topic_name composes <prefix>-<table>-<operation>[.<host>]', () => {
    assert.equal(topics.getTopicName(topics.AGENT, topics.PORT, topics.UPDATE), 'q-agent-notifier-port-update');
    assert.equal(
      topics.getTopicName(topics.AGENT, topics.PORT, topics.UPDATE, 'compute1'),
      'q-agent-notifier-port-update.compute1',
    );
    assert.deepEqual(topics.AGENT_NOTIFIER, {
      portUpdate: 'q-agent-notifier-port-update',
      portDelete: 'q-agent-notifier-port-delete',
      networkUpdate: 'q-agent-notifier-network-update',
      networkDelete: 'q-agent-notifier-network-delete',
      securityGroupUpdate: 'q-agent-notifier-security_group-update',
      l2populationUpdate: 'q-agent-notifier-l2population-update',
      dvrUpdate: 'q-agent-notifier-dvr-update',
      tunnelUpdate: 'q-agent-notifier-tunnel-update',
      tunnelDelete: 'q-agent-notifier-tunnel-delete',
      bindingActivate: 'q-agent-notifier-binding-activate',
      bindingDeactivate: 'q-agent-notifier-binding-deactivate',
    });
    assert.equal(topics.resourceTopic('Port', '1.1'), 'neutron-vo-Port-1.1');
  });

  it('queues and exchanges are named as oslo.messaging names them', () => {
    assert.equal(queueName(topics.DHCP_AGENT), 'dhcp_agent');
    assert.equal(queueName(topics.DHCP_AGENT, 'network1'), 'dhcp_agent.network1');
    assert.equal(fanoutExchangeName(topics.AGENT_NOTIFIER.portUpdate), 'q-agent-notifier-port-update_fanout');
    assert.match(fanoutQueueName(topics.AGENT_NOTIFIER.portUpdate), /^q-agent-notifier-port-update_fanout_[0-9a-f]{32}$/);
    assert.match(replyQueueName(), /^reply_[0-9a-f]{32}$/);
  });
});

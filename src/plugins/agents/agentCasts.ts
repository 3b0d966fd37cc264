/** What every server-to-agent notifier sends along with a cast: the request's context, on the agent's own topic. */
import type { RequestContext } from '../../common/context.js';
import type { RpcContext } from '../../rpc/bus.js';

/** The request's identity as oslo.messaging carries it in the message context. */
export const rpcContext = (ctx: RequestContext): RpcContext => ({
  requestId: ctx.requestId,
  projectId: ctx.projectId,
  userId: ctx.userId,
  roles: ctx.roles,
  isAdmin: ctx.isAdmin,
});

/** The topic an agent reported (`dhcp_agent`, `l3_agent`), or the API's own when it reported none. */
export const agentTopic = (agent: { readonly topic: string }, fallback: string): string => (agent.topic !== '' && agent.topic !== 'N/A' ? agent.topic : fallback);

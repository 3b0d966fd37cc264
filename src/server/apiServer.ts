/** The API server: database, core plugin and HTTP application, listening on bind_host:bind_port. */
import type { FastifyInstance } from 'fastify';

import type { Bus } from '../rpc/bus.js';

import { buildApp } from '../api/app.js';
import { registerAvailabilityZones } from '../api/availabilityZones.js';
import { registerIpAvailability } from '../api/ipAvailability.js';
import { registerQuotaRoutes } from '../api/quotaRoutes.js';
import { createKeystoneAuth } from '../api/keystone/authenticator.js';
import { keystoneSettingsFrom } from '../api/keystone/settings.js';
import { noauthContext } from '../api/noauth.js';
import { registerUi, type UiSettings } from '../api/uiRoutes.js';
import { identityApiUrl } from '../keystone/credentials.js';
import { configFilesIn, loadPolicy, policyFileSetting } from '../api/policy/policyFile.js';
import { openDatabase } from '../db/connect.js';
import { assertSchemaCurrent, upgradeHead } from '../db/migrate.js';
import { AgentService } from '../plugins/agents/agentService.js';
import { stateReportHandlers } from '../plugins/agents/stateReports.js';
import { ipAvailability } from '../plugins/core/ipAvailability.js';
import { installMl2 } from '../plugins/ml2/ml2Plugin.js';
import { PortBindings } from '../plugins/ml2/portBindings.js';
import { metadataEndpoint } from '../plugins/metadata/metadataRpc.js';
import { SegmentService } from '../plugins/ml2/segmentsApi.js';
import { buildFlavors } from './flavors.js';
import { buildL3 } from './l3.js';
import { composeApi } from '../resources/compose.js';
import { coreExtensions, coreResources } from '../resources/index.js';
import type { LoadedNeutronConfig } from './config.js';
import { buildCore, coreOptionsFrom, dbRetryPolicyFrom, quotaDefaultsFrom } from './core.js';
import { buildDhcpAgents } from './dhcpAgents.js';
import { buildTypeManager, mechanismDrivers } from './ml2.js';
import { l2AgentEndpoint } from './l2Agents.js';
import { securityGroupEndpoint } from './securityGroupAgents.js';
import { novaNotifierFrom } from './novaNotifier.js';
import { startRpcServer } from './rpcServer.js';
import { routerOptions, serviceExtensions, servicePluginsFrom } from './servicePlugins.js';
import type { Logger } from './logger.js';
import { metricsSource } from '../common/metrics.js';
import { processReconcilerMetrics } from '../agents/common/reconcilerMetrics.js';
import { startMetricsListener, type RunningMetricsListener } from './metricsListener.js';
import { serverMetricsSettings } from './metricsSettings.js';
import { ServerMetrics } from './serverMetrics.js';

export interface RunningApi {
  readonly app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:9696 */
  readonly url: string;
  /** The message bus the server serves agents on. */
  readonly bus: Bus;
  /** The server's metrics ([metrics] enabled); the all-in-one adds its agents' to the same registry. */
  readonly metrics?: ServerMetrics;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  /** Apply migrations instead of refusing a schema that is behind (all-in-one). */
  readonly migrate: boolean;
  /** A bus already open (the all-in-one process shares one with its agents); default: from transport_url. */
  readonly bus?: Bus;
  /** The --config-file list, for a relative [oslo_policy] policy_file; default: the files the configuration's values came from. */
  readonly configFiles?: readonly string[];
  /** The agents of this process (the all-in-one) show their reconcilers' metrics in the server's /metrics. */
  readonly agentsInProcess?: boolean;
}

export async function startApiServer(loaded: LoadedNeutronConfig, log: Logger, options: ApiServerOptions): Promise<RunningApi> {
  const { config } = loaded;
  // auth_strategy = keystone: a missing [keystone_authtoken] option stops the server here, naming it.
  const keystoneSettings =
    config.DEFAULT.auth_strategy === 'keystone'
      ? keystoneSettingsFrom({
          values: config.keystone_authtoken,
          required: (option) => loaded.required('keystone_authtoken', option),
          errorFor: (option, reason) => loaded.errorFor('keystone_authtoken', option, reason),
        })
      : undefined;
  const keystone = keystoneSettings ? createKeystoneAuth(keystoneSettings, log) : undefined;
  // The topology page logs users in at the Keystone their clients use (www_authenticate_uri, else auth_url).
  const ui: UiSettings | undefined = config.ui.enabled
    ? { auth: keystoneSettings ? { kind: 'keystone', identityUrl: identityApiUrl(keystoneSettings.wwwAuthenticateUri) } : { kind: 'noauth' } }
    : undefined;
  // Every configuration check comes before the database is opened.
  const novaNotifications = novaNotifierFrom(loaded, log);
  const nova = novaNotifications.notifier;
  const types = buildTypeManager(loaded);
  const mechanisms = mechanismDrivers(loaded);
  const servicePlugins = servicePluginsFrom(loaded);
  const metricsSettings = serverMetricsSettings(loaded);
  // Only the loaded plugins' extensions: without the router plugin there is no `router` extension and no /v2.0/routers.
  const api = composeApi(coreResources, [...coreExtensions, ...serviceExtensions(servicePlugins, config.DEFAULT)]);
  const policy = loadPolicy(
    policyFileSetting(
      config.oslo_policy.policy_file,
      loaded.sources.oslo_policy.policy_file,
      options.configFiles ?? configFilesIn(loaded.sources),
      (reason) => loaded.errorFor('oslo_policy', 'policy_file', reason),
    ),
    api.resources.values(),
    { enforceNewDefaults: config.oslo_policy.enforce_new_defaults },
  );
  for (const warning of policy.warnings) log.warn(warning);
  if (policy.source) log.info({ policy_file: policy.source }, 'policy rules loaded');
  const connection = loaded.required('database', 'connection');
  const metrics = metricsSettings.enabled ? new ServerMetrics({ processMetrics: metricsSettings.processMetrics }) : undefined;
  if (metrics && options.agentsInProcess) processReconcilerMetrics.register(metrics.registry);
  const database = await openDatabase(connection, {
    ...(config.database.max_pool_size ? { poolSize: config.database.max_pool_size } : {}),
    connectRetries: config.database.max_retries,
    connectRetryIntervalMs: config.database.retry_interval * 1000,
    onConnectRetry: (reason, attempt) =>
      log.warn({ attempt, max_retries: config.database.max_retries }, `cannot connect to the database (${reason}); trying again in ${config.database.retry_interval} s`),
    ...(metrics
      ? {
          onQuery: (sql: string, ms: number, failed: boolean) => metrics.observeQuery(sql, ms / 1000, failed ? 'error' : 'ok'),
          onConnection: (event: string) => metrics.dbConnections.inc({ event }),
        }
      : {}),
  });
  try {
    if (options.migrate) await upgradeHead(database.db);
    else await assertSchemaCurrent(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }

  metrics?.collectFrom(database.db, config.DEFAULT.agent_down_time);
  const dbRetry = dbRetryPolicyFrom(config);
  const core = buildCore(database.db, api, coreOptionsFrom(config), log, quotaDefaultsFrom(config), dbRetry);
  nova?.install(core.deps.events);
  const agents = new AgentService(database.db, config.DEFAULT.agent_down_time);
  const dhcp = buildDhcpAgents(loaded, database.db, core, agents, log);
  const l3 = servicePlugins.has('router') ? buildL3(loaded, core, agents, routerOptions(config.DEFAULT, core, api), log) : undefined;
  const rpc = await startRpcServer(loaded, log, agents, options.bus, dhcp.withReports(stateReportHandlers(agents)), metrics);
  // q-plugin has one consumer: every agent's API on it goes in this one call.
  await rpc.serve([
    dhcp.endpoint,
    l2AgentEndpoint(loaded, core, rpc.bus, log),
    securityGroupEndpoint(loaded, core, rpc.bus, log),
    metadataEndpoint(core.ports),
    ...(l3 ? [l3.endpoint] : []),
  ]);
  const l3OnBus = l3?.start(rpc.bus);
  const dhcpOnBus = dhcp.start(rpc.bus);
  installMl2(core.deps, types, mechanisms, {
    aliveAgents: async (tx, agentType, host) =>
      (await agents.aliveAgents(agentType, host, tx)).map((agent) => ({ configurations: agent.configurations as Record<string, unknown> })),
  });
  const segments = new SegmentService(core.deps, types);
  const app = buildApp({
    api,
    collections: new Map([
      ...core.collections,
      ['agents', agents],
      ['segments', segments],
      // binding-extended: a port's bindings, bound by ML2's mechanism drivers.
      ['bindings', new PortBindings(core.deps, core.ports)],
      ...buildFlavors(core, servicePlugins),
      ...(l3?.collections ?? []),
    ]),
    tags: core.tags,
    policy,
    authenticate: keystone ? keystone.authenticate : (request, requestId) => noauthContext(request.headers, requestId),
    options: {
      paginationMaxLimit: config.DEFAULT.pagination_max_limit,
      filterValidation: config.DEFAULT.filter_validation,
      allowBulk: config.DEFAULT.allow_bulk,
      linkPrefix: config.DEFAULT.network_link_prefix,
    },
    logger: log,
    dbRetry,
    edge: {
      maxBodyBytes: config.oslo_middleware.max_request_body_size,
      maxHeaderLine: config.DEFAULT.max_header_line,
      clientSocketTimeoutSeconds: config.DEFAULT.client_socket_timeout,
    },
    ...(metrics
      ? {
          onResponse: ({ resource, method, status, seconds }) => {
            metrics.requests.inc({ resource, method, status: String(status) });
            metrics.requestDuration.observe({ resource, method }, seconds);
          },
        }
      : {}),
    ...(metrics && !metricsSettings.listen ? { metrics: metricsSource(metrics.registry) } : {}),
    extraRoutes: [
      (app, contextOf) => registerAvailabilityZones(app, () => agents.availabilityZones(), contextOf),
      (app, contextOf) => registerIpAvailability(app, (filter) => ipAvailability(database.db, filter), contextOf),
      (app, contextOf, policyOf) => registerQuotaRoutes(app, core.quotas, contextOf, policyOf),
      (app, contextOf) => dhcpOnBus.registerRoutes(app, contextOf),
      (app, contextOf, policyOf) => l3OnBus?.registerRoutes(app, contextOf, policyOf),
      (app) => (ui ? registerUi(app, ui) : undefined),
    ],
  });
  keystone?.register(app);
  let metricsListener: RunningMetricsListener | undefined;
  try {
    await app.listen({ host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port });
    if (metrics && metricsSettings.listen) metricsListener = await startMetricsListener(metricsSettings.listen, metricsSource(metrics.registry), log);
  } catch (err) {
    await app.close();
    await nova?.close();
    l3OnBus?.close();
    await dhcpOnBus.close();
    await rpc.close();
    await database.close();
    throw err;
  }
  novaNotifications.announce();
  const host = config.DEFAULT.bind_host.includes(':') ? `[${config.DEFAULT.bind_host}]` : config.DEFAULT.bind_host;
  return {
    app,
    url: `http://${host}:${config.DEFAULT.bind_port}`,
    bus: rpc.bus,
    ...(metrics ? { metrics } : {}),
    close: async () => {
      await metricsListener?.close();
      await app.close();
      await nova?.close();
      l3OnBus?.close();
      await dhcpOnBus.close();
      await rpc.close();
      await database.close();
    },
  };
}

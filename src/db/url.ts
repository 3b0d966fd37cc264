/**
 * `[database] connection` as an OpenStack operator writes it: a SQLAlchemy URL.
 *
 *   sqlite://                         in memory
 *   sqlite:///relative/path.db        relative to the working directory (SQLAlchemy's rule)
 *   sqlite:////absolute/path.db       absolute
 *   mysql+pymysql://neutron:NEUTRON_DBPASS@controller01/neutron
 *   mysql://user:pass@host:3306/db?charset=utf8
 *   mariadb+pymysql://...,  mysql://user:pass@/db?unix_socket=/run/mysqld/mysqld.sock
 *   postgresql://user@host/db,  postgresql+psycopg2://...,  postgres://...
 *   postgresql://user@/db?host=/var/run/postgresql   (unix socket directory)
 *
 * The split into parts follows SQLAlchemy's own pattern (sqlalchemy/engine/url.py),
 * not WHATWG URL parsing, so a password with a raw `/` or `:` (base64 output)
 * is read the way Neutron reads it. User name, password and database are
 * percent-decoded; query values are form-decoded (`+` is a space), as in Python.
 */

export type DatabaseUrl =
  | {
      dialect: 'sqlite';
      /** A file path as written (relative paths are relative to the working directory), or `:memory:`. */
      path: string;
      /** Query options that were recognised but have no effect here; the config layer may warn. */
      ignoredOptions: string[];
    }
  | {
      dialect: 'mysql';
      host: string;
      port: number;
      /** Set by `?unix_socket=`; then host and port are not used. */
      socketPath: string | null;
      user: string;
      password: string;
      database: string;
      ignoredOptions: string[];
    }
  | {
      dialect: 'postgres';
      /** A host name, an address, or (starting with `/`) a unix socket directory. */
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      ignoredOptions: string[];
    };

export type DatabaseDialect = DatabaseUrl['dialect'];

const SUPPORTED =
  'sqlite:///<relative path>, sqlite:////<absolute path>, sqlite:// (in memory), ' +
  'mysql[+pymysql]://user:password@host[:port]/database (also mariadb://), ' +
  'postgresql[+psycopg2]://user:password@host[:port]/database (also postgres://)';

const BACKENDS: Record<string, { dialect: DatabaseDialect; drivers: readonly string[] }> = {
  sqlite: { dialect: 'sqlite', drivers: ['pysqlite', 'aiosqlite'] },
  mysql: {
    dialect: 'mysql',
    drivers: ['pymysql', 'mysqldb', 'mysqlconnector', 'mariadbconnector', 'aiomysql', 'asyncmy', 'oursql'],
  },
  mariadb: {
    dialect: 'mysql',
    drivers: ['pymysql', 'mysqldb', 'mysqlconnector', 'mariadbconnector', 'aiomysql', 'asyncmy'],
  },
  postgresql: { dialect: 'postgres', drivers: ['psycopg2', 'psycopg', 'pg8000', 'asyncpg', 'psycopg2cffi'] },
  postgres: { dialect: 'postgres', drivers: ['psycopg2', 'psycopg', 'pg8000', 'asyncpg'] },
};

/**
 * Query options a URL may carry that we accept without acting on them:
 * `charset` (we always speak utf8mb4), devstack's `plugin=dbcounter`, driver
 * tuning knobs. Options that change security (TLS, option files with
 * credentials) are refused instead of ignored, see REFUSED.
 */
const IGNORED = new Set([
  'charset',
  'plugin',
  'client_encoding',
  'connect_timeout',
  'read_timeout',
  'write_timeout',
  'application_name',
  'binary_prefix',
  'autocommit',
  'local_infile',
]);
const REFUSED = new Set([
  'ssl',
  'ssl_ca',
  'ssl_cert',
  'ssl_key',
  'ssl_check_hostname',
  'ssl_verify_cert',
  'ssl_verify_identity',
  'ssl_disabled',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'read_default_file',
  'read_default_group',
  'service',
  'passfile',
]);

/** SQLAlchemy's `_rfc_1738_pattern`, with named groups. */
const URL_PATTERN = new RegExp(
  '^(?<name>[\\w+]+)://' +
    '(?:(?<username>[^:/]*)(?::(?<password>[^@]*))?@)?' +
    '(?:(?:\\[(?<ipv6host>[^/?]+)\\]|(?<ipv4host>[^/:?]+))?(?::(?<port>[^/?]*))?)?' +
    '(?:/(?<database>[^?]*))?' +
    '(?:\\?(?<query>.*))?$',
  's',
);

/** Python's `urllib.parse.unquote`: %XX sequences become bytes, decoded as UTF-8; a malformed `%` stays as it is. */
export function unquote(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return bytes.toString('utf8');
  });
}

/** Writes a URL with the password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  const match = URL_PATTERN.exec(url.trim());
  if (!match?.groups?.['password']) return url;
  const { name, username = '', password } = match.groups;
  const prefix = `${name}://${username}:`;
  const start = url.indexOf(prefix);
  if (start < 0) return url;
  return url.slice(0, start + prefix.length) + '***' + url.slice(start + prefix.length + password.length);
}

export function parseDatabaseUrl(url: string): DatabaseUrl {
  const text = url.trim();
  const match = URL_PATTERN.exec(text);
  if (!match?.groups) {
    throw new Error(`'${redactUrl(text)}' is not a database URL; supported forms are: ${SUPPORTED}`);
  }
  const g = match.groups;
  const scheme = (g['name'] ?? '').toLowerCase();
  const [backendName = '', driver, ...rest] = scheme.split('+');
  const backend = BACKENDS[backendName];
  if (!backend || rest.length > 0 || (driver !== undefined && !backend.drivers.includes(driver))) {
    throw new Error(`unsupported database scheme '${scheme}'; supported forms are: ${SUPPORTED}`);
  }

  const params = new URLSearchParams(g['query'] ?? '');
  const options = new Map<string, string>();
  for (const [key, value] of params) options.set(key, value);
  for (const key of options.keys()) {
    if (REFUSED.has(key)) {
      throw new Error(`the database URL option '${key}' is not supported by Nucleon yet`);
    }
  }
  const take = (key: string): string | undefined => {
    const value = options.get(key);
    options.delete(key);
    return value;
  };

  const host = g['ipv6host'] ?? g['ipv4host'] ?? '';
  const user = unquote(g['username'] ?? '');
  const password = unquote(g['password'] ?? '');
  const database = unquote(g['database'] ?? '');

  if (backend.dialect === 'sqlite') {
    if (host !== '' || g['username'] !== undefined || g['port'] !== undefined) {
      throw new Error(
        `a sqlite URL names a file, not a server: write sqlite:///relative/path.db or sqlite:////absolute/path.db (got '${redactUrl(text)}')`,
      );
    }
    const ignoredOptions = [...options.keys()];
    return { dialect: 'sqlite', path: database === '' ? ':memory:' : database, ignoredOptions };
  }

  const portText = take('port') ?? g['port'] ?? '';
  let port = backend.dialect === 'mysql' ? 3306 : 5432;
  if (portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new Error(`invalid port '${portText}' in database URL '${redactUrl(text)}'`);
    }
    port = Number(portText);
  }
  if (database === '') {
    throw new Error(`the database URL '${redactUrl(text)}' names no database (expected .../<database name>)`);
  }
  for (const key of options.keys()) {
    if (!IGNORED.has(key) && !(backend.dialect === 'mysql' && key === 'unix_socket') && key !== 'host') {
      throw new Error(`unknown option '${key}' in database URL '${redactUrl(text)}'`);
    }
  }

  if (backend.dialect === 'mysql') {
    const socketPath = take('unix_socket') ?? null;
    const queryHost = take('host');
    return {
      dialect: 'mysql',
      host: queryHost ?? (host === '' ? 'localhost' : host),
      port,
      socketPath,
      user,
      password,
      database,
      ignoredOptions: [...options.keys()],
    };
  }
  const queryHost = take('host');
  return {
    dialect: 'postgres',
    host: queryHost ?? (host === '' ? 'localhost' : host),
    port,
    user,
    password,
    database,
    ignoredOptions: [...options.keys()],
  };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDatabaseUrl, redactUrl, unquote, type DatabaseUrl } from '../../src/db/url.js';

const cases: Array<[string, DatabaseUrl]> = [
  ['sqlite://', { dialect: 'sqlite', path: ':memory:', ignoredOptions: [] }],
  ['sqlite:///:memory:', { dialect: 'sqlite', path: ':memory:', ignoredOptions: [] }],
  ['sqlite:///relative/path.db', { dialect: 'sqlite', path: 'relative/path.db', ignoredOptions: [] }],
  ['sqlite:////absolute/path.db', { dialect: 'sqlite', path: '/absolute/path.db', ignoredOptions: [] }],
  ['sqlite:////var/lib/nucleon/nucleon.db', { dialect: 'sqlite', path: '/var/lib/nucleon/nucleon.db', ignoredOptions: [] }],
  ['sqlite+pysqlite:///x.db?timeout=10', { dialect: 'sqlite', path: 'x.db', ignoredOptions: ['timeout'] }],
  [
    'mysql+pymysql://neutron:NEUTRON_DBPASS@controller01/neutron',
    {
      dialect: 'mysql',
      host: 'controller01',
      port: 3306,
      socketPath: null,
      user: 'neutron',
      password: 'NEUTRON_DBPASS',
      database: 'neutron',
      ignoredOptions: [],
    },
  ],
  [
    'mysql://user:pass@host:3307/db?charset=utf8',
    {
      dialect: 'mysql',
      host: 'host',
      port: 3307,
      socketPath: null,
      user: 'user',
      password: 'pass',
      database: 'db',
      ignoredOptions: ['charset'],
    },
  ],
  [
    // devstack's form
    'mysql+pymysql://root:secret@127.0.0.1/neutron?charset=utf8&plugin=dbcounter',
    {
      dialect: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      socketPath: null,
      user: 'root',
      password: 'secret',
      database: 'neutron',
      ignoredOptions: ['charset', 'plugin'],
    },
  ],
  [
    'mariadb+pymysql://neutron:pw@db.example.org:3306/neutron',
    {
      dialect: 'mysql',
      host: 'db.example.org',
      port: 3306,
      socketPath: null,
      user: 'neutron',
      password: 'pw',
      database: 'neutron',
      ignoredOptions: [],
    },
  ],
  [
    'mysql+pymysql://neutron:pw@/neutron?unix_socket=/run/mysqld/mysqld.sock',
    {
      dialect: 'mysql',
      host: 'localhost',
      port: 3306,
      socketPath: '/run/mysqld/mysqld.sock',
      user: 'neutron',
      password: 'pw',
      database: 'neutron',
      ignoredOptions: [],
    },
  ],
  [
    'mysql://u:p@[::1]:3306/n',
    { dialect: 'mysql', host: '::1', port: 3306, socketPath: null, user: 'u', password: 'p', database: 'n', ignoredOptions: [] },
  ],
  [
    'postgresql://user@host/db',
    { dialect: 'postgres', host: 'host', port: 5432, user: 'user', password: '', database: 'db', ignoredOptions: [] },
  ],
  [
    'postgresql+psycopg2://neutron:pw@pg1:6432/neutron',
    { dialect: 'postgres', host: 'pg1', port: 6432, user: 'neutron', password: 'pw', database: 'neutron', ignoredOptions: [] },
  ],
  [
    'postgres://neutron:pw@pg1/neutron',
    { dialect: 'postgres', host: 'pg1', port: 5432, user: 'neutron', password: 'pw', database: 'neutron', ignoredOptions: [] },
  ],
  [
    'postgresql://neutron@/neutron?host=/var/run/postgresql',
    {
      dialect: 'postgres',
      host: '/var/run/postgresql',
      port: 5432,
      user: 'neutron',
      password: '',
      database: 'neutron',
      ignoredOptions: [],
    },
  ],
  // Percent-encoded user and password; a raw '/' or ':' in the password (base64) as SQLAlchemy reads it.
  [
    'mysql+pymysql://neu%40tron:p%40ss%3Aw%2Frd%25@controller/neutron',
    {
      dialect: 'mysql',
      host: 'controller',
      port: 3306,
      socketPath: null,
      user: 'neu@tron',
      password: 'p@ss:w/rd%',
      database: 'neutron',
      ignoredOptions: [],
    },
  ],
  [
    'mysql+pymysql://neutron:aB3/x+Y=:z@controller/neutron',
    {
      dialect: 'mysql',
      host: 'controller',
      port: 3306,
      socketPath: null,
      user: 'neutron',
      password: 'aB3/x+Y=:z',
      database: 'neutron',
      ignoredOptions: [],
    },
  ],
  [
    'postgresql://neutron:%C3%A9t%C3%A9%20100%@h/neutron',
    { dialect: 'postgres', host: 'h', port: 5432, user: 'neutron', password: 'été 100%', database: 'neutron', ignoredOptions: [] },
  ],
  [
    '  MySQL+PyMySQL://a:b@h/d  ',
    { dialect: 'mysql', host: 'h', port: 3306, socketPath: null, user: 'a', password: 'b', database: 'd', ignoredOptions: [] },
  ],
];

describe('parseDatabaseUrl', () => {
  for (const [url, expected] of cases) {
    it(url.trim(), () => {
      assert.deepEqual(parseDatabaseUrl(url), expected);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['oracle://scott:tiger@host/db', /unsupported database scheme 'oracle'.*sqlite.*mysql.*postgresql/],
    ['mssql+pyodbc://u:p@h/d', /unsupported database scheme 'mssql\+pyodbc'/],
    ['mysql+nosuchdriver://u:p@h/d', /unsupported database scheme 'mysql\+nosuchdriver'/],
    ['postgresql+psycopg2+x://u@h/d', /unsupported database scheme/],
    ['rabbit://guest:guest@localhost:5672/', /unsupported database scheme 'rabbit'/],
    ['/var/lib/nucleon.db', /not a database URL.*supported forms/],
    ['', /not a database URL/],
    ['sqlite://host/file.db', /sqlite URL names a file/],
    ['mysql://u:p@h:notaport/d', /invalid port 'notaport'/],
    ['mysql://u:p@h:70000/d', /invalid port '70000'/],
    ['mysql+pymysql://u:p@h', /names no database/],
    ['postgresql://u@h/', /names no database/],
    ['mysql+pymysql://u:p@h/d?ssl_ca=/etc/ca.pem', /'ssl_ca' is not supported/],
    ['postgresql://u@h/d?sslmode=require', /'sslmode' is not supported/],
    ['mysql+pymysql://u:p@h/d?bogus=1', /unknown option 'bogus'/],
  ];
  for (const [url, message] of bad) {
    it(`rejects ${JSON.stringify(url)}`, () => {
      assert.throws(() => parseDatabaseUrl(url), message);
    });
  }

  it('does not put the password in error messages', () => {
    assert.throws(
      () => parseDatabaseUrl('mysql://neutron:s3cret@h:99999/neutron'),
      (err: Error) => !err.message.includes('s3cret') && err.message.includes('***'),
    );
  });
});

describe('unquote', () => {
  it('decodes like urllib.parse.unquote', () => {
    assert.equal(unquote('a%20b'), 'a b');
    assert.equal(unquote('a+b'), 'a+b');
    assert.equal(unquote('100%'), '100%');
    assert.equal(unquote('%zz'), '%zz');
    assert.equal(unquote('%E2%82%AC'), '€');
  });
});

describe('redactUrl', () => {
  it('hides the password only', () => {
    assert.equal(redactUrl('mysql+pymysql://neutron:pw@controller/neutron'), 'mysql+pymysql://neutron:***@controller/neutron');
    assert.equal(redactUrl('postgresql://neutron@h/neutron'), 'postgresql://neutron@h/neutron');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresSessionError } from '../../../../../src/server/protocols/postgres/session-error.js';
import {
  optionSettings,
  startupSettings,
} from '../../../../../src/server/protocols/postgres/startup-settings.js';

/** The refusal `run` throws: its SQLSTATE and message. */
function refusal(run: () => unknown): { code: string; message: string; refusal: boolean } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PostgresSessionError, String(error));
    return { code: error.sqlState, message: error.message, refusal: error.refusal };
  }
  assert.fail('not refused');
}

describe('start-up settings', () => {
  it('reads -c name=value, -cname=value and --name=value, dashes in names as underscores', () => {
    assert.deepEqual(
      optionSettings('-c statement_timeout=5s -clock_timeout=1s --search-path=app,public'),
      [
        ['statement_timeout', '5s'],
        ['lock_timeout', '1s'],
        ['search_path', 'app,public'],
      ],
    );
  });

  it('splits on unescaped white space and keeps what a backslash escapes, as pg_split_opts does', () => {
    assert.deepEqual(
      optionSettings('  -c\tapplication_name=my\\ app\\\\x \n -c DateStyle=ISO,\\ DMY '),
      [
        ['application_name', 'my app\\x'],
        ['datestyle', 'ISO, DMY'],
      ],
    );
    assert.deepEqual(optionSettings(''), []);
  });

  it('refuses other switches, bare words and settings without a value (42601), naming them', () => {
    for (const [options, named] of [
      ['-e', '-e'],
      ['-S 1024', '-S'],
      ['-c', '-c needs'],
      ['-c statement_timeout', 'statement_timeout'],
      ['--=x', '"=x"'],
      ['statement_timeout=1', 'statement_timeout=1'],
    ] as const) {
      const { code, message, refusal: isRefusal } = refusal(() => optionSettings(options));
      assert.equal(code, '42601', options);
      assert.ok(message.includes(named), `${options}: ${message}`);
      assert.ok(isRefusal);
    }
  });

  it('passes parameters and options on by lower-case name, parameters outranking options', () => {
    const settings = startupSettings(
      new Map([
        ['user', 'u'],
        ['database', 'd'],
        ['options', '-c statement_timeout=1s -c search_path=a'],
        ['statement_timeout', '2s'],
        ['TimeZone', 'UTC'],
        ['_pq_.something', 'x'],
      ]),
    );
    assert.deepEqual(
      [...settings],
      [
        ['search_path', 'a'],
        ['statement_timeout', '2s'],
        ['timezone', 'UTC'],
      ],
    );
  });

  it('refuses settings that would weaken enforcement (42501), naming each, however they are spelled', () => {
    for (const [parameters, named] of [
      [{ role: 'postgres' }, 'role=postgres'],
      [{ options: '-c role=postgres' }, 'role=postgres'],
      [{ options: '--session-authorization=postgres' }, 'session_authorization=postgres'],
      [{ Session_Authorization: 'postgres' }, 'session_authorization=postgres'],
      [{ options: '-c standard_conforming_strings=off' }, 'standard_conforming_strings=off'],
      [{ options: '--standard-conforming-strings=off' }, 'standard_conforming_strings=off'],
      [{ backslash_quote: 'on' }, 'backslash_quote=on'],
      [{ options: '-c client_encoding=SJIS' }, 'client_encoding=SJIS'],
      [{ client_encoding: 'big5' }, 'client_encoding=big5'],
      [{ options: '-c local_preload_libraries=auto_explain' }, 'local_preload_libraries'],
      [{ session_preload_libraries: 'x' }, 'session_preload_libraries'],
      // A parameter outranks options, and is checked too.
      [{ options: '-c role=none', role: 'postgres' }, 'role=postgres'],
    ] as const) {
      const { code, message } = refusal(() => startupSettings(new Map(Object.entries(parameters))));
      assert.equal(code, '42501', JSON.stringify(parameters));
      assert.ok(message.includes(named), `${JSON.stringify(parameters)}: ${message}`);
    }
  });

  it('lets the safe values of guarded settings through', () => {
    const settings = startupSettings(
      new Map([
        [
          'options',
          '-c role=none -c standard_conforming_strings=on -c backslash_quote=safe_encoding',
        ],
        ['client_encoding', 'utf-8'],
      ]),
    );
    assert.equal(settings.get('role'), 'none');
    assert.equal(settings.get('client_encoding'), 'utf-8');
  });
});

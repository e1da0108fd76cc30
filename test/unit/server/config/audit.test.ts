import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { parseConfig } from '../../../../src/server/config/index.js';

const FILE = '/etc/hoop/hoop.yaml';

function refuse(text: string): HoopError {
  try {
    parseConfig(text, { file: 'hoop.yaml', env: {} });
  } catch (error) {
    assert.ok(error instanceof HoopError);
    return error;
  }
  assert.fail('expected the config to be refused');
}

describe('config: audit section', () => {
  it('defaults: no auditors, no retention, 100 rows or 64 KiB of preview, close on store failure', () => {
    const config = parseConfig('log: { level: info }\n', { file: FILE, env: {} });
    assert.deepEqual(config.audit, {
      auditors: [],
      preview: { rows: 100, bytes: 65_536 },
      onStoreFailure: 'close',
      spool: { dir: '/etc/hoop/.hoop/spool', maxBytes: 64 * 1024 * 1024 },
      maxTextBytes: 65_536,
    });
  });

  it('reads onStoreFailure and the spool, its directory relative to the config', () => {
    const config = parseConfig(
      'audit:\n  onStoreFailure: spool\n  spool: { dir: ./spool, maxBytes: 1048576 }\n',
      { file: FILE, env: {} },
    );
    assert.equal(config.audit.onStoreFailure, 'spool');
    assert.deepEqual(config.audit.spool, { dir: '/etc/hoop/spool', maxBytes: 1_048_576 });
    const mode = refuse('audit:\n  onStoreFailure: ignore\n');
    assert.equal(mode.details?.key, 'audit.onStoreFailure');
    const size = refuse('audit:\n  spool: { maxBytes: 0 }\n');
    assert.equal(size.details?.key, 'audit.spool.maxBytes');
  });

  it('reads auditors, retention, preview, the signing key reference and the journal path', () => {
    const config = parseConfig(
      [
        'audit:',
        '  auditors: [security]',
        '  retention: 90d',
        '  preview: { rows: 10, bytes: 4096 }',
        '  signingKey: ${env:KEY}',
        '  journal: ./data/audit.journal',
        '',
      ].join('\n'),
      { file: FILE, env: { KEY: 'PEM' } },
    );
    assert.deepEqual(config.audit, {
      auditors: ['security'],
      retentionMs: 90 * 86_400_000,
      preview: { rows: 10, bytes: 4096 },
      signingKey: 'PEM',
      journal: '/etc/hoop/data/audit.journal',
      onStoreFailure: 'close',
      spool: { dir: '/etc/hoop/.hoop/spool', maxBytes: 64 * 1024 * 1024 },
      maxTextBytes: 65_536,
    });
  });

  it('refuses bad values where they are', () => {
    const rows = refuse('audit:\n  preview:\n    rows: -1\n');
    assert.equal(rows.details?.key, 'audit.preview.rows');
    assert.equal(rows.details?.line, 3);
    const retention = refuse('audit:\n  retention: forever\n');
    assert.equal(retention.details?.key, 'audit.retention');
    const unknown = refuse('audit:\n  previews: {}\n');
    assert.equal(unknown.details?.key, 'audit.previews');
  });

  it('refuses a signing key written into the file', () => {
    const error = refuse('audit:\n  signingKey: "-----BEGIN PRIVATE KEY-----"\n');
    assert.equal(error.details?.key, 'audit.signingKey');
  });
});

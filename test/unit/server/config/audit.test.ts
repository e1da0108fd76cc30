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
  it('defaults: no auditors, no retention, 100 rows or 64 KiB of preview', () => {
    const config = parseConfig('log: { level: info }\n', { file: FILE, env: {} });
    assert.deepEqual(config.audit, { auditors: [], preview: { rows: 100, bytes: 65_536 } });
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

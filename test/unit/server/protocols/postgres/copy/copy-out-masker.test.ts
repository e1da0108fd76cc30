import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CopyOutMasker,
  copyFormat,
  type CopyFormat,
} from '../../../../../../src/server/protocols/postgres/copy/index.js';
import { binaryTuple } from '../../../../../../src/server/protocols/postgres/copy/binary-tuples.js';
import { formatBytes } from '../../../../../../src/server/protocols/postgres/copy/copy-format.js';
import {
  csvFields,
  decodeCsv,
  encodeCsv,
} from '../../../../../../src/server/protocols/postgres/copy/csv-fields.js';
import {
  decodeText,
  encodeText,
  textFields,
} from '../../../../../../src/server/protocols/postgres/copy/text-fields.js';
import type { CellMasker } from '../../../../../../src/server/enforcement/index.js';

/** Replaces column `index` with `replacement`, recording what it was shown. */
function maskColumn(index: number, replacement: Buffer | null, seen: string[] = []): CellMasker {
  return {
    columns: [index],
    maskCell: (i, value) => {
      assert.equal(i, index);
      seen.push(value.toString('utf8'));
      return replacement;
    },
  };
}

/** Feeds `data` to a masker in the given pieces and returns everything it sent. */
function run(masker: CopyOutMasker, pieces: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(masker.data(piece) ?? piece);
  masker.end();
  return Buffer.concat(out);
}

/** Every way of cutting `data` in two, plus one byte at a time. */
function splits(data: Buffer): Buffer[][] {
  const all: Buffer[][] = [[data]];
  for (let i = 1; i < data.length; i++) all.push([data.subarray(0, i), data.subarray(i)]);
  all.push([...data].map((b) => Buffer.of(b)));
  return all;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('COPY text format', () => {
  it('reads escapes as PostgreSQL writes them, and writes them back', () => {
    const raw = text('a\\tb\\\\c\\nd\\101\\x41\\q');
    assert.equal(decodeText(raw, 0, raw.length).toString(), 'a\tb\\c\ndAAq');
    const value = text('x\ty\\z\nw\r|');
    assert.equal(encodeText(value, 0x09).toString(), 'x\\ty\\\\z\\nw\\r|');
    assert.equal(encodeText(value, 0x7c).toString(), 'x\\ty\\\\z\\nw\\r\\|');
    for (const delimiter of [0x09, 0x7c]) {
      const encoded = encodeText(value, delimiter);
      assert.deepEqual(decodeText(encoded, 0, encoded.length), value);
    }
  });

  it('does not split on an escaped delimiter', () => {
    const row = text('1|a\\|b|c');
    const out: number[] = [];
    assert.equal(textFields(row, 0, row.length, 0x7c, out), 3);
    assert.equal(row.toString('utf8', out[2], out[3]), 'a\\|b');
  });

  it('masks one column, keeps NULLs and the other bytes, across every split of the data', () => {
    const data = text('1\tjane@example.com\tJane\n2\t\\N\tJohn\n3\tx\\ty@z.org\t\\N\n');
    for (const pieces of splits(data)) {
      const seen: string[] = [];
      const masker = new CopyOutMasker(copyFormat(), maskColumn(1, text('m\t*'), seen), 3);
      const out = run(masker, pieces);
      assert.deepEqual(seen, ['jane@example.com', 'x\ty@z.org']);
      assert.equal(out.toString(), '1\tm\\t*\tJane\n2\t\\N\tJohn\n3\tm\\t*\t\\N\n');
    }
  });

  it('shows the masker decoded values and writes NULL as the NULL string', () => {
    const seen: string[] = [];
    const masker = new CopyOutMasker(
      copyFormat({ delimiter: '|', null: 'x' }),
      maskColumn(1, null, seen),
      2,
    );
    const out = masker.data(text('1|a\\|b\\\\c\n2|x\n'));
    assert.equal(out?.toString(), '1|x\n2|x\n');
    assert.deepEqual(seen, ['a|b\\c'], 'the NULL string is not shown as a value');
  });

  it('forwards a payload unchanged when no cell changes', () => {
    const masker = new CopyOutMasker(copyFormat(), maskColumn(0, undefined as never), 2);
    assert.equal(masker.data(text('a\tb\nc\td\n')), undefined);
  });

  it('passes the header line and holds a row split across payloads', () => {
    const masker = new CopyOutMasker(copyFormat({ header: true }), maskColumn(0, text('*')), 2);
    assert.equal(masker.data(text('email\tname\nsec'))?.toString(), 'email\tname\n');
    assert.equal(masker.data(text('ret\tJa'))?.length, 0, 'nothing is sent before the row ends');
    assert.equal(masker.data(text('ne\n'))?.toString(), '*\tJane\n');
    masker.end();
  });

  it('refuses rows of the wrong width and data that ends inside a row', () => {
    assert.throws(
      () => new CopyOutMasker(copyFormat(), maskColumn(0, null), 3).data(text('a\tb\n')),
      { code: 'PG_BAD_VALUE' },
    );
    const masker = new CopyOutMasker(copyFormat(), maskColumn(0, null), 1);
    masker.data(text('abc'));
    assert.throws(() => masker.end(), { code: 'PG_TRUNCATED' });
  });

  it('bounds the bytes held for an unfinished row', () => {
    const masker = new CopyOutMasker(copyFormat(), maskColumn(0, null), 1, { maxPendingBytes: 4 });
    assert.throws(() => masker.data(text('abcdef')), { code: 'PG_MESSAGE_TOO_LARGE' });
  });
});

describe('COPY CSV format', () => {
  const csv = (options: Partial<CopyFormat> = {}): CopyFormat =>
    copyFormat({ format: 'csv', ...options });

  it('reads quoted fields with delimiters, quotes and newlines', () => {
    const bytes = formatBytes(csv());
    const row = text('1,"a,b","say ""hi""","two\nlines",,""');
    const fields = csvFields(row, 0, row.length, bytes);
    assert.deepEqual(
      fields.map((f) => decodeCsv(row, f, bytes).toString()),
      ['1', 'a,b', 'say "hi"', 'two\nlines', '', ''],
    );
    assert.deepEqual(
      fields.map((f) => f.quoted),
      [false, true, true, true, false, true],
    );
  });

  it('reads a distinct ESCAPE character', () => {
    const bytes = formatBytes(csv({ escape: '\\' }));
    const row = text('"a\\"b\\\\c\\d"');
    const [field] = csvFields(row, 0, row.length, bytes);
    assert.equal(decodeCsv(row, field!, bytes).toString(), 'a"b\\c\\d');
    assert.equal(encodeCsv(text('a"b\\c'), bytes).toString(), '"a\\"b\\\\c"');
  });

  it('quotes a replacement only when it must', () => {
    const bytes = formatBytes(csv());
    assert.equal(encodeCsv(text('j***@x.com'), bytes).toString(), 'j***@x.com');
    assert.equal(encodeCsv(text('a,b'), bytes).toString(), '"a,b"');
    assert.equal(encodeCsv(text('a"b'), bytes).toString(), '"a""b"');
    assert.equal(encodeCsv(text('a\nb'), bytes).toString(), '"a\nb"');
    assert.equal(encodeCsv(text(''), bytes).toString(), '""', 'the NULL string is quoted');
  });

  it('masks across every split, with the header passed and quoted newlines kept in their row', () => {
    const data = text('id,email\n1,"jane\n@example.com"\n2,\n3,"a,b"\n');
    for (const pieces of splits(data)) {
      const seen: string[] = [];
      const masker = new CopyOutMasker(csv({ header: true }), maskColumn(1, text('x,y'), seen), 2);
      assert.equal(run(masker, pieces).toString(), 'id,email\n1,"x,y"\n2,\n3,"x,y"\n');
      assert.deepEqual(seen, ['jane\n@example.com', 'a,b']);
    }
  });

  it('writes a masked NULL as the unquoted NULL string, and tells "" from NULL', () => {
    const seen: string[] = [];
    const masker = new CopyOutMasker(csv(), maskColumn(0, null, seen), 1);
    assert.equal(masker.data(text('secret\n""\n\n'))?.toString(), '\n\n\n');
    assert.deepEqual(seen, ['secret', '']);
  });

  it('refuses a row that ends inside quotes at CopyDone', () => {
    const masker = new CopyOutMasker(csv(), maskColumn(0, null), 1);
    assert.equal(masker.data(text('"open\n'))?.length, 0);
    assert.throws(() => masker.end(), { code: 'PG_TRUNCATED' });
  });
});

describe('COPY binary format', () => {
  const header = Buffer.concat([
    Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
    Buffer.alloc(4),
    Buffer.from([0, 0, 0, 2, 0xaa, 0xbb]),
  ]);
  const tuple = (...values: (string | null)[]): Buffer =>
    Buffer.concat([
      Buffer.from([values.length >> 8, values.length & 0xff]),
      ...values.map((v) => {
        const length = Buffer.alloc(4);
        length.writeInt32BE(v === null ? -1 : Buffer.byteLength(v));
        return v === null ? length : Buffer.concat([length, text(v)]);
      }),
    ]);
  const trailer = Buffer.from([0xff, 0xff]);

  it('masks cells to NULL and to replacements across every split, keeping header and trailer', () => {
    const data = Buffer.concat([header, tuple('1', 'jane@x.com'), tuple('2', null), trailer]);
    const expected = Buffer.concat([header, tuple('1', null), tuple('2', null), trailer]);
    for (const pieces of splits(data)) {
      const seen: string[] = [];
      const masker = new CopyOutMasker(
        copyFormat({ format: 'binary' }),
        maskColumn(1, null, seen),
        2,
      );
      assert.deepEqual(run(masker, pieces), expected);
      assert.deepEqual(seen, ['jane@x.com']);
    }
    const masker = new CopyOutMasker(
      copyFormat({ format: 'binary' }),
      maskColumn(1, text('j*')),
      2,
    );
    assert.deepEqual(
      run(masker, [data]),
      Buffer.concat([header, tuple('1', 'j*'), tuple('2', null), trailer]),
    );
  });

  it('reads NULL fields as length -1', () => {
    const fields: number[] = [];
    const bytes = tuple('a', null, '');
    assert.equal(binaryTuple(bytes, 0, bytes.length, fields), bytes.length);
    assert.deepEqual(fields, [6, 7, -1, -1, 15, 15]);
  });

  it('refuses a bad signature, OIDs, bytes after the trailer and a missing trailer', () => {
    const binary = copyFormat({ format: 'binary' });
    assert.throws(() => new CopyOutMasker(binary, maskColumn(0, null), 1).data(Buffer.alloc(19)), {
      code: 'PG_BAD_VALUE',
    });
    const oids = Buffer.from(header);
    oids.writeInt32BE(1 << 16, 11);
    assert.throws(() => new CopyOutMasker(binary, maskColumn(0, null), 1).data(oids), {
      code: 'PG_BAD_VALUE',
    });
    assert.throws(
      () =>
        new CopyOutMasker(binary, maskColumn(0, null), 1).data(
          Buffer.concat([header, trailer, tuple('x')]),
        ),
      { code: 'PG_TRAILING_BYTES' },
    );
    const unfinished = new CopyOutMasker(binary, maskColumn(0, null), 1);
    unfinished.data(Buffer.concat([header, tuple('x')]));
    assert.throws(() => unfinished.end(), { code: 'PG_TRUNCATED' });
  });
});

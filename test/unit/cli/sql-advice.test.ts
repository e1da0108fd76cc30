import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqlError } from '../../../src/cli/exec/postgres.js';
import { reviewIdOf, sqlAdvice } from '../../../src/cli/exec/sql-advice.js';

const advice = (code: string, message: string, hint?: string) =>
  sqlAdvice(new SqlError(code, message, undefined, hint), 'pg-prod');

describe('sqlAdvice (the line under a failed `hoop exec`)', () => {
  it("prefers the server's own hint", () => {
    assert.equal(
      advice('42703', 'column "x" does not exist', 'Perhaps you meant "y".'),
      'Perhaps you meant "y".',
    );
  });

  it('tells how to go on with a held statement, naming the connection and the review', () => {
    const message =
      'hoop: waiting for review rev_01abc (policy rule "w", 1 approval(s) from dba); an approver runs `hoop reviews approve rev_01abc`, then run the same text with --review rev_01abc (or use --wait)';
    assert.equal(reviewIdOf(message), 'rev_01abc');
    assert.equal(
      advice('42501', message),
      'When it is approved (`hoop reviews show rev_01abc`), run it with: hoop exec pg-prod --review rev_01abc',
    );
    assert.match(
      advice('42501', 'hoop: review rev_9 cannot be used (HOOP_REVIEW_MISMATCH): other text'),
      /hoop exec pg-prod --review rev_9` without -i/,
    );
    assert.match(
      advice('42501', 'hoop: review rev_9 cannot be used (HOOP_REVIEW_CONSUMED): used'),
      /runs once/,
    );
    assert.match(
      advice('42501', 'hoop: refused by policy rule "w": review rev_9 was rejected by bob: no'),
      /hoop reviews show rev_9/,
    );
  });

  it('tells a refusal by policy from a missing privilege in the database', () => {
    assert.match(
      advice('42501', 'hoop: refused by policy rule "no-drops": x'),
      /policy refuses this/,
    );
    assert.match(
      advice('42501', 'hoop: refused by policy rule "no-drops": statement could not be classified'),
      /could not parse.*syntax/,
    );
    assert.match(advice('42501', 'permission denied for table t'), /database role/);
  });

  it('advises by SQLSTATE class, with a fallback for any other code', () => {
    assert.match(advice('42601', 'syntax error at or near "selec"'), /syntax/);
    assert.match(advice('08006', 'connection failure'), /lost the database/);
    assert.match(advice('23505', 'duplicate key'), /constraint/);
    assert.match(advice('40P01', 'deadlock detected'), /again/);
    assert.match(advice('P0001', 'raised'), /SQLSTATE P0001/);
  });
});

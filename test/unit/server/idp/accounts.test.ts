import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultAgents,
  defaultUsers,
  Directory,
  type DevUser,
} from '../../../../src/server/idp/accounts.js';

const user = (username: string, groups: string[] = []): DevUser => ({
  username,
  password: `${username}-pw`,
  email: `${username}@example.test`,
  name: username,
  groups,
});

describe('Directory', () => {
  it('ships the demo people and agent the demo relies on', () => {
    const users = defaultUsers();
    assert.deepEqual(
      users.map((u) => [u.username, u.groups]),
      [
        ['alice', ['engineering']],
        ['bob', ['dba']],
        ['carol', ['support']],
      ],
    );
    const [agent, ...rest] = defaultAgents();
    assert.equal(rest.length, 0);
    assert.equal(agent?.clientId, 'agent-1');
    assert.deepEqual(agent?.groups, ['agents']);
    assert.notEqual(agent?.clientSecret, defaultAgents()[0]?.clientSecret, 'secrets are random');
  });

  it('checks passwords and tells a disabled account from a wrong password', () => {
    const directory = new Directory([user('alice'), user('bob')], [], []);
    assert.equal(directory.authenticate('alice', 'alice-pw'), directory.user('alice'));
    assert.equal(directory.authenticate('alice', 'bob-pw'), 'invalid');
    assert.equal(directory.authenticate('alice', 'alice-p'), 'invalid');
    assert.equal(directory.authenticate('nobody', 'x'), 'invalid');

    directory.disable('bob');
    assert.equal(directory.user('bob'), undefined);
    assert.equal(directory.isDisabled('bob'), true);
    assert.equal(directory.authenticate('bob', 'bob-pw'), 'disabled');
    // A wrong password says nothing about whether the account is disabled.
    assert.equal(directory.authenticate('bob', 'wrong'), 'invalid');
    assert.throws(() => directory.disable('nobody'), /no user "nobody"/);
  });

  it('refuses duplicates and a name that is both a user and a client', () => {
    const agent = { clientId: 'agent-1', clientSecret: 's', groups: [] };
    assert.throws(() => new Directory([user('a'), user('a')], [], []), /duplicate username "a"/);
    assert.throws(() => new Directory([], [agent, agent], []), /duplicate agent clientId/);
    assert.throws(
      () => new Directory([user('agent-1')], [agent], []),
      /"agent-1" is both a username and a client id/,
    );
    assert.throws(() => new Directory([user('hoop-cli')], [], ['hoop-cli']), /both/);
    assert.throws(() => new Directory([], [agent], ['agent-1']), /reserved/);
  });
});

import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A person who signs in at the development IdP's login page. */
export interface DevUser {
  /** Also the token's `sub`. */
  username: string;
  password: string;
  email: string;
  name: string;
  groups: string[];
}

/** A machine identity that gets tokens with the client-credentials grant. */
export interface DevAgent {
  /** Also the token's `sub`. */
  clientId: string;
  clientSecret: string;
  groups: string[];
  /** How the agent authenticates at the token endpoint; defaults to `client_secret_basic`. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

/** The demo people: an engineer, a DBA who approves reviews, and someone with no database access. */
export function defaultUsers(): DevUser[] {
  return [
    {
      username: 'alice',
      password: 'alice-password',
      email: 'alice@example.com',
      name: 'Alice Anders',
      groups: ['engineering'],
    },
    {
      username: 'bob',
      password: 'bob-password',
      email: 'bob@example.com',
      name: 'Bob Brown',
      groups: ['dba'],
    },
    {
      username: 'carol',
      password: 'carol-password',
      email: 'carol@example.com',
      name: 'Carol Chen',
      groups: ['support'],
    },
  ];
}

/** The demo agent, with a fresh random secret each start. */
export function defaultAgents(): DevAgent[] {
  return [
    {
      clientId: 'agent-1',
      clientSecret: randomBytes(32).toString('base64url'),
      groups: ['agents'],
    },
  ];
}

/**
 * The IdP's directory: users by username, agents by client id, and who has
 * been disabled. A disabled user is absent to the provider from then on, so
 * every lookup oidc-provider makes for them (refresh, userinfo, a new login)
 * fails as "account not found".
 */
export class Directory {
  readonly users: readonly DevUser[];
  readonly agents: readonly DevAgent[];
  readonly #users: Map<string, DevUser>;
  readonly #agents: Map<string, DevAgent>;
  readonly #disabled = new Set<string>();

  constructor(users: readonly DevUser[], agents: readonly DevAgent[], reservedClientIds: string[]) {
    this.users = users;
    this.agents = agents;
    this.#users = uniqueBy(users, (user) => user.username, 'username');
    this.#agents = uniqueBy(agents, (agent) => agent.clientId, 'agent clientId');
    // Users and agents share the `sub` namespace; a clash would let one act as the other.
    for (const id of [...this.#agents.keys(), ...reservedClientIds]) {
      if (this.#users.has(id))
        throw new Error(`dev IdP: "${id}" is both a username and a client id`);
    }
    for (const id of reservedClientIds) {
      if (this.#agents.has(id)) throw new Error(`dev IdP: agent client id "${id}" is reserved`);
    }
  }

  /** The enabled user with this username, if any. */
  user(username: string): DevUser | undefined {
    return this.#disabled.has(username) ? undefined : this.#users.get(username);
  }

  agent(clientId: string): DevAgent | undefined {
    return this.#agents.get(clientId);
  }

  isDisabled(username: string): boolean {
    return this.#disabled.has(username);
  }

  disable(username: string): void {
    if (!this.#users.has(username)) throw new Error(`dev IdP: no user "${username}"`);
    this.#disabled.add(username);
  }

  /** The user whose password matches, or why not. */
  authenticate(username: string, password: string): DevUser | 'invalid' | 'disabled' {
    const user = this.#users.get(username);
    if (!user || !sameSecret(user.password, password)) return 'invalid';
    return this.#disabled.has(username) ? 'disabled' : user;
  }
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string, what: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const id = key(item);
    if (!id) throw new Error(`dev IdP: empty ${what}`);
    if (map.has(id)) throw new Error(`dev IdP: duplicate ${what} "${id}"`);
    map.set(id, item);
  }
  return map;
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

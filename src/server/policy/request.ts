import type { ConnectionType } from '../../lib/connection-types.js';
import type { AuthMethod } from '../../lib/principal.js';
import type { PolicyRequest } from './types.js';

/** Who asks, as the gateway established it (the fields policy reads). */
export interface Requester {
  method: AuthMethod;
  subject: string;
  name: string;
  groups: readonly string[];
  kind: 'user' | 'agent';
  actors?: readonly string[];
  email?: string;
}

/** The policy request for a session on a connection, without an action (opening the session). */
export function requestFor(session: {
  identity: Requester;
  connection: { name: string; type: ConnectionType };
}): PolicyRequest {
  const { identity, connection } = session;
  return {
    identity: {
      method: identity.method,
      subject: identity.subject,
      name: identity.name,
      groups: identity.groups,
      kind: identity.kind,
      ...(identity.actors ? { actors: identity.actors } : {}),
      ...(identity.email ? { email: identity.email } : {}),
    },
    connection: { name: connection.name, type: connection.type },
  };
}

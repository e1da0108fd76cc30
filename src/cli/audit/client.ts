import type { GatewayClient } from '../gateway-client.js';
import type { AuditSessionDetail, SessionEvents, SessionPage } from './types.js';

/** A query string of the flags that were given, in a fixed order. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

export function listSessions(
  client: GatewayClient,
  filters: Record<string, string | number | undefined>,
): Promise<SessionPage> {
  return client.get<SessionPage>(`/api/sessions${queryString(filters)}`);
}

export async function getSession(
  client: GatewayClient,
  id: string,
): Promise<{ session: AuditSessionDetail; events: SessionEvents }> {
  const path = `/api/sessions/${encodeURIComponent(id)}`;
  // Events first: a session still in progress then shows at least the events listed.
  const events = await client.get<SessionEvents>(`${path}/events`);
  const session = await client.get<AuditSessionDetail>(path);
  return { session, events };
}

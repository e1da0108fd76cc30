import type { IncomingMessage } from 'node:http';
import type { Identity } from '../auth/identity.js';

export interface RouteContext {
  params: string[];
  req: IncomingMessage;
}

/** A route answers `[status, body]`; only public routes run without an identity. */
export type Route = { method: string; path: RegExp } & (
  | { public: true; handle: (context: RouteContext) => Promise<[number, unknown]> }
  | {
      public?: false;
      handle: (context: RouteContext & { identity: Identity }) => Promise<[number, unknown]>;
    }
);

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction, Provider } from 'oidc-provider';
import type { Directory } from './accounts.js';
import { errorPage, loginPage } from './pages.js';

/** Where oidc-provider sends the browser when it needs the user (its `interactions.url`). */
export const INTERACTION_PREFIX = '/interaction/';

/** Login forms are a few dozen bytes; anything past this is refused. */
const MAX_FORM_BYTES = 8 * 1024;

const ROUTE = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/;

export type InteractionHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The user-facing half of the device flow that oidc-provider leaves to the
 * host: the login form and the consent step.
 *
 * - `GET /interaction/:uid`: the login form, or for the consent prompt an
 *   automatic approval of what the client asked for. Every client that can
 *   start an interactive flow here is hoop's own CLI, so there is nothing for
 *   the person to weigh beyond the device confirmation they just gave.
 * - `POST /interaction/:uid/login`: checks username and password.
 * - `POST /interaction/:uid/abort`: refuses, and `hoop login` reports `access_denied`.
 *
 * The interaction is found through oidc-provider's cookie, which is scoped to
 * `/interaction/:uid` and SameSite=Lax, so another site cannot post here.
 */
export function createInteractions(
  provider: () => Provider,
  directory: Directory,
  clientName: (clientId: string) => string,
): InteractionHandler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://idp');
    const match = ROUTE.exec(url.pathname);
    const uid = match?.[1];
    const action = match?.[2];
    if (!uid) return send(res, 404, errorPage('Not found', 'There is no page here.'));
    const expected = action ? 'POST' : 'GET';
    if (req.method !== expected) {
      res.setHeader('Allow', expected);
      return send(res, 405, errorPage('Method not allowed', `Use ${expected} here.`));
    }

    const oidc = provider();
    let interaction: Interaction;
    try {
      interaction = await oidc.interactionDetails(req, res);
    } catch {
      return send(res, 400, expiredPage());
    }
    if (interaction.uid !== uid) return send(res, 400, expiredPage());
    const client = clientName(interaction.params.client_id);
    const base = `${INTERACTION_PREFIX}${uid}`;

    if (action === 'abort') {
      return oidc.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
    }

    if (interaction.prompt.name === 'login') {
      const page = { action: `${base}/login`, abortAction: `${base}/abort`, clientName: client };
      if (action !== 'login') return send(res, 200, loginPage(page));
      const form = await readForm(req);
      if (!form) return send(res, 413, errorPage('Too large', 'The form was too large.'));
      const username = form.get('username') ?? '';
      const result = directory.authenticate(username, form.get('password') ?? '');
      if (result === 'invalid' || result === 'disabled') {
        const error =
          result === 'disabled' ? 'This account is disabled.' : 'Wrong username or password.';
        return send(res, 200, loginPage({ ...page, username, error }));
      }
      return oidc.interactionFinished(
        req,
        res,
        { login: { accountId: result.username, amr: ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
    }

    if (interaction.prompt.name === 'consent' && !action) {
      const accountId = interaction.session?.accountId;
      if (!accountId) return send(res, 400, expiredPage());
      const grant =
        (interaction.grantId ? await oidc.Grant.find(interaction.grantId) : undefined) ??
        new oidc.Grant({ accountId, clientId: interaction.params.client_id });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } =
        interaction.prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, scopes.join(' '));
      }
      const grantId = await grant.save();
      return oidc.interactionFinished(req, res, { consent: { grantId } });
    }

    return send(res, 400, errorPage('Unexpected step', 'This step does not match the sign-in.'));
  };
}

function expiredPage(): string {
  return errorPage(
    'Sign-in expired',
    'This sign-in request has expired or is already complete. Run `hoop login` again.',
  );
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** The urlencoded body, or undefined when it exceeds MAX_FORM_BYTES. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Drives the IdP's device verification pages (RFC 8628 §3.3) the way a
 * person in a browser would: open `verification_uri_complete`, submit the
 * form each page shows (typing username and password on the login page),
 * follow redirects by hand and keep cookies per RFC 6265. No endpoint is
 * called that a browser would not call.
 */

const MAX_STEPS = 20;

/** Resolves once the IdP shows its "signed in" page; throws with the page's message otherwise. */
export async function completeDeviceLogin(
  verificationUriComplete: string,
  username: string,
  password: string,
): Promise<void> {
  const browser = new Browser();
  let page = await browser.open(new URL(verificationUriComplete));
  let credentialsSent = false;
  for (let step = 0; step < MAX_STEPS; step += 1) {
    // A page that shows an error (wrong password, used or expired code) ends the attempt.
    if (page.alert) throw new Error(`device login refused: ${page.alert}`);
    const form = page.forms[0];
    if (!form) {
      if (page.html.includes('id="signed-in"')) return;
      throw new Error(`device login: ${page.url.pathname} ended without signing in: ${page.text}`);
    }
    if (form.fields.some((field) => field.type === 'password')) {
      if (credentialsSent) throw new Error(`device login refused: ${page.text}`);
      credentialsSent = true;
    }
    page = await browser.submit(form, { username, password });
  }
  throw new Error(`device login: no result after ${MAX_STEPS} pages`);
}

/**
 * Opens `verificationUriComplete` and presses Cancel, on the confirmation
 * page (a person who does not recognise the code) or on the login page; the
 * device's polling then ends with `access_denied`.
 */
export async function cancelDeviceLogin(
  verificationUriComplete: string,
  on: 'confirmation' | 'login' = 'confirmation',
): Promise<void> {
  const browser = new Browser();
  let page = await browser.open(new URL(verificationUriComplete));
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const form = page.forms[0];
    if (!form || page.alert) break;
    const isLogin = form.fields.some((field) => field.type === 'password');
    const cancel =
      on === 'login' && !isLogin
        ? undefined
        : form.buttons.find((button) => /cancel/i.test(button.label));
    if (cancel) {
      page = await browser.submit(form, {}, cancel);
      if (/cancelled/i.test(page.alert ?? '')) return;
      break;
    }
    page = await browser.submit(form, {});
  }
  throw new Error(`device login: could not cancel: ${page.text}`);
}

interface Page {
  url: URL;
  html: string;
  /** The text of the page's `role="alert"` element, if any. */
  alert: string | undefined;
  /** The page's alert if it has one, else its visible text, for messages. */
  text: string;
  forms: Form[];
}

interface Form {
  action: URL;
  method: 'GET' | 'POST';
  /** Controls that submit a value, in document order. */
  fields: { name: string; type: string; value: string }[];
  /** Submit buttons; the first one is what pressing Enter uses. */
  buttons: { name?: string; value: string; label: string; formAction?: string }[];
}

/** One browsing session against one origin: cookies, redirects, forms. */
class Browser {
  readonly #jar = new CookieJar();

  open(url: URL): Promise<Page> {
    return this.#navigate({ url, method: 'GET' });
  }

  /**
   * Submits `form` as pressing `button` would (an unnamed submit button adds
   * nothing); `typed` fills text and password fields by name, `password`
   * for any password field.
   */
  submit(
    form: Form,
    typed: Record<string, string>,
    button?: Form['buttons'][number],
  ): Promise<Page> {
    const body = new URLSearchParams();
    for (const field of form.fields) {
      const value = field.type === 'password' ? typed.password : typed[field.name];
      body.append(field.name, field.type !== 'hidden' && value !== undefined ? value : field.value);
    }
    if (button?.name) body.append(button.name, button.value);
    const action = button?.formAction ? new URL(button.formAction, form.action) : form.action;
    if (form.method === 'POST') return this.#navigate({ url: action, method: 'POST', body });
    const url = new URL(action);
    url.search = body.toString();
    return this.#navigate({ url, method: 'GET' });
  }

  async #navigate(request: { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams }) {
    for (let hop = 0; hop < MAX_STEPS; hop += 1) {
      const response = await fetch(request.url, {
        method: request.method,
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          ...(request.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...this.#jar.header(request.url),
        },
        ...(request.body ? { body: request.body } : {}),
      });
      this.#jar.store(request.url, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        // 302 and 303 after a POST are followed with GET, as browsers do.
        request = { url: new URL(location, request.url), method: 'GET' };
        continue;
      }
      const html = await response.text();
      const alert = /<[^>]+role="alert"[^>]*>([\s\S]*?)</i.exec(html)?.[1];
      const page: Page = {
        url: request.url,
        html,
        alert: alert === undefined ? undefined : visibleText(alert),
        text: visibleText(alert ?? html),
        forms: parseForms(html, request.url),
      };
      if (response.status !== 200) {
        throw new Error(
          `device login: ${request.method} ${request.url.pathname} answered ${response.status}: ${page.text}`,
        );
      }
      return page;
    }
    throw new Error(`device login: more than ${MAX_STEPS} redirects`);
  }
}

/**
 * The page's forms, each with its own controls and those tied to it by a
 * `form="id"` attribute (HTML §4.10.17.3). Regular expressions suffice for
 * the IdP's pages: forms do not nest, and attribute values are escaped.
 */
function parseForms(html: string, base: URL): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = parseAttributes(match[1] ?? '');
    const id = attributes.get('id');
    const inner = match[2] ?? '';
    const outside = id
      ? html.slice(0, match.index) + html.slice(match.index + match[0].length)
      : '';
    const owned = (source: string, tag: string, foreign: boolean) =>
      [...source.matchAll(new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)(?=<|$)`, 'gi'))]
        .map((m) => ({ attributes: parseAttributes(m[1] ?? ''), label: m[2] ?? '' }))
        .filter((control) => !foreign || control.attributes.get('form') === id);
    const inputs = [...owned(inner, 'input', false), ...(id ? owned(outside, 'input', true) : [])];
    const buttons = [
      ...owned(inner, 'button', false),
      ...(id ? owned(outside, 'button', true) : []),
    ];
    forms.push({
      action: new URL(attributes.get('action') || base.href, base),
      method: attributes.get('method')?.toUpperCase() === 'POST' ? 'POST' : 'GET',
      fields: inputs.flatMap(({ attributes: input }) => {
        const name = input.get('name');
        const type = (input.get('type') ?? 'text').toLowerCase();
        if (!name || ['submit', 'button', 'reset', 'image'].includes(type)) return [];
        if ((type === 'checkbox' || type === 'radio') && !input.has('checked')) return [];
        return [{ name, type, value: input.get('value') ?? (type === 'checkbox' ? 'on' : '') }];
      }),
      buttons: buttons
        .filter(({ attributes: button }) => (button.get('type') ?? 'submit') === 'submit')
        .map(({ attributes: button, label }) => ({
          ...(button.has('name') ? { name: button.get('name') } : {}),
          value: button.get('value') ?? '',
          label: decodeEntities(label.trim()),
          ...(button.has('formaction') ? { formAction: button.get('formaction') } : {}),
        })),
    });
  }
  return forms;
}

function parseAttributes(source: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const m of source.matchAll(
    /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g,
  )) {
    const name = m[1]?.toLowerCase();
    if (name && !attributes.has(name)) {
      attributes.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
    }
  }
  return attributes;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X')) {
      return String.fromCodePoint(parseInt(body.slice(2), 16));
    }
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

function visibleText(html: string): string {
  const body = /<body\b[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  const visible = body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '').replace(/<[^>]*>/g, ' ');
  return decodeEntities(visible.replace(/\s+/g, ' ').trim()).slice(0, 500);
}

interface Cookie {
  name: string;
  value: string;
  path: string;
  /** Epoch milliseconds, or Infinity for a session cookie. */
  expires: number;
}

/** A cookie jar for one origin (the IdP's): RFC 6265 paths and expiry, no domains. */
class CookieJar {
  readonly #cookies = new Map<string, Cookie>();

  store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributeParts] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        path: defaultPath(url),
        expires: Infinity,
      };
      let maxAge: number | undefined;
      for (const part of attributeParts) {
        const [rawKey = '', ...rest] = part.split('=');
        const key = rawKey.trim().toLowerCase();
        const value = rest.join('=').trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
        else if (key === 'expires' && !Number.isNaN(Date.parse(value))) {
          cookie.expires = Date.parse(value);
        }
      }
      // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
      if (maxAge !== undefined) cookie.expires = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
      const key = `${cookie.path}\n${cookie.name}`;
      if (cookie.expires <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  /** The Cookie header for a request to `url`, longest paths first (RFC 6265 §5.4). */
  header(url: URL): { cookie?: string } {
    const now = Date.now();
    const matching = [...this.#cookies.values()]
      .filter((cookie) => cookie.expires > now && pathMatches(url.pathname, cookie.path))
      .sort((a, b) => b.path.length - a.path.length);
    if (matching.length === 0) return {};
    return { cookie: matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') };
  }
}

/** RFC 6265 §5.1.4: the request path up to its last slash. */
function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/**
 * The development IdP's HTML: plain forms a person can complete in any
 * browser without JavaScript, and that `test/helpers/device-login.ts` drives
 * the same way. Every value from a request is escaped; oidc-provider's own
 * form fragments (which carry its xsrf token) are inserted as given.
 */

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
.banner{background:#fff3cd;border:1px solid #e0b400;padding:.5rem .75rem;font-size:.85rem}
.error{color:#a40000}label{display:block;margin:.75rem 0 .25rem}input[type=text],input[type=password]{width:100%;padding:.4rem;font-size:1rem}
button{margin:1rem .5rem 0 0;padding:.4rem 1rem;font-size:1rem}code{font-size:1.5rem}`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · hoop development IdP</title>
<style>${STYLE}</style>
</head>
<body>
<p class="banner">hoop development identity provider: demo accounts only, not for production.</p>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}

function alert(message: string | undefined): string {
  return message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '';
}

/** `/device` without a code: oidc-provider's input form (xsrf + `user_code`) and a button for it. */
export function deviceCodeInputPage(form: string, error?: string): string {
  return layout(
    'Connect a device',
    `${alert(error)}<p>Enter the code shown by <code>hoop login</code>.</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`,
  );
}

/**
 * The confirmation step: the person checks that the code matches their
 * terminal. `form` is oidc-provider's (xsrf, `user_code`, `confirm=yes`);
 * the unnamed button submits it, the `abort` one refuses the request.
 */
export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return layout(
    'Confirm the device',
    `<p><strong>${escapeHtml(clientName)}</strong> wants to sign in as you.
Check that your terminal shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Cancel</button>`,
  );
}

export function deviceSuccessPage(clientName: string): string {
  return layout(
    'Signed in',
    `<p id="signed-in">You are signed in to <strong>${escapeHtml(clientName)}</strong>. You can close this page and return to your terminal.</p>`,
  );
}

export function loginPage(options: {
  action: string;
  abortAction: string;
  clientName: string;
  username?: string;
  error?: string;
}): string {
  return layout(
    'Sign in',
    `${alert(options.error)}<p>to continue to <strong>${escapeHtml(options.clientName)}</strong></p>
<form method="post" action="${escapeHtml(options.action)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autofocus required value="${escapeHtml(options.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<button type="submit" formaction="${escapeHtml(options.abortAction)}" formnovalidate>Cancel</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, alert(message));
}

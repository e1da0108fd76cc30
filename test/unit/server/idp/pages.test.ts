import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, loginPage } from '../../../../src/server/idp/pages.js';

describe('dev IdP pages', () => {
  it('escapes every character that could leave an attribute or open a tag', () => {
    assert.equal(
      escapeHtml(`<a href="x" onclick='y'>&`),
      '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;',
    );
  });

  it('echoes the username and error escaped, never the password', () => {
    const html = loginPage({
      action: '/interaction/abc/login',
      abortAction: '/interaction/abc/abort',
      clientName: 'hoop CLI',
      username: '"><script>alert(1)</script>',
      error: 'Wrong username or password.',
    });
    assert.doesNotMatch(html, /<script>/);
    assert.match(html, /value="&#34;&#62;&#60;script&#62;/);
    assert.match(html, /role="alert">Wrong username or password\.</);
    assert.match(html, /<input type="password"[^>]*required>/);
    assert.match(html, /not for production/);
  });
});

// End-to-end tests of the panel in headless Chromium: the admin's account
// flow and the user's password flow. Every main page is screenshotted and
// checked by axe-core (labels, contrast, document language, titles).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN, ADMIN_KEY, DOMAIN, USER, accountState, api, browser, checkPage, login,
} from './lib.mjs';

test('an admin creates, finds, deactivates and reactivates an account, then gets an API key', async () => {
  const page = await browser();
  await page.goto('/login');
  await checkPage(page, 'login');
  await login(page, ADMIN, 'admin-secret');
  assert.equal(new URL(page.url()).pathname, '/account');

  await page.getByRole('navigation').getByRole('link', { name: 'Accounts' }).click();
  await checkPage(page, 'admin-accounts');

  // Create.
  const form = page.locator('form#create');
  await form.getByLabel('Username').fill('bob_browser');
  await form.getByLabel('Password (6 characters or more)').fill('bob-secret');
  await form.getByLabel('E-mail').fill('bob@example.org');
  await form.getByRole('button', { name: 'Create the account' }).click();
  await page.waitForLoadState();
  assert.match(new URL(page.url()).pathname, /^\/admin\/accounts\/\d+$/);
  assert.equal(await page.locator('#notice').textContent(), `bob_browser@${DOMAIN} is created.`);
  assert.equal(await page.locator('#state').textContent(), 'activated');
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  await checkPage(page, 'admin-account');
  const created = await accountState(id);
  assert.equal(created.username, 'bob_browser');
  assert.equal(created.email, 'bob@example.org');
  assert.equal(created.activated, true);

  // Find by search: only that account is listed.
  await page.getByRole('link', { name: '« Accounts' }).click();
  await page.getByRole('searchbox', { name: 'Search' }).fill('bob_brow');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForLoadState();
  const rows = page.locator('tr.account');
  assert.equal(await rows.count(), 1);
  const row = rows.first();
  assert.equal(await row.getAttribute('data-id'), String(id));
  assert.match(await row.textContent(), /bob_browser@/);

  // Deactivate, then reactivate, from the search results.
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('#notice').textContent(), `bob_browser@${DOMAIN} is deactivated.`);
  assert.equal(await page.getByRole('searchbox', { name: 'Search' }).inputValue(), 'bob_brow');
  assert.match(await page.locator(`tr.account[data-id="${id}"]`).textContent(), /not activated/);
  assert.equal((await accountState(id)).activated, false);

  await page.locator(`tr.account[data-id="${id}"]`).getByRole('button', { name: 'Activate' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('#notice').textContent(), `bob_browser@${DOMAIN} is activated.`);
  assert.equal((await accountState(id)).activated, true);

  // The delete confirmation page (not confirmed).
  await page.goto(`/admin/accounts/${id}/delete`);
  await checkPage(page, 'admin-delete');

  // API key: the page's key authenticates the admin on the API.
  await page.getByRole('navigation').getByRole('link', { name: 'API key' }).click();
  await page.getByRole('button', { name: 'Generate a new API key' }).click();
  await page.waitForLoadState();
  const key = (await page.locator('#api-key').textContent()).trim();
  assert.ok(key.length >= 20, `key ${key}`);
  await checkPage(page, 'api-key');
  const me = await api('/api/accounts/me', ADMIN, key);
  assert.equal(me.status, 200);
  assert.equal((await me.json()).username, 'e2e_admin');
  const wrong = await api('/api/accounts/me', ADMIN, key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x'));
  assert.equal(wrong.status, 401, 'a wrong key is refused');
});

test('a user changes the password, logs out and logs in with the new one only', async () => {
  const page = await browser();
  await login(page, USER, 'user-secret');
  assert.equal(new URL(page.url()).pathname, '/account');
  await checkPage(page, 'account');
  await page.getByRole('navigation').getByRole('link', { name: 'Log in a device' }).click();
  await checkPage(page, 'qr-login');
  await page.getByRole('navigation').getByRole('link', { name: 'My account' }).click();

  await page.getByLabel('Current password').fill('user-secret');
  await page.getByLabel('New password (6 characters or more)').fill('user-new-secret');
  await page.getByRole('button', { name: 'Change my password' }).click();
  await page.waitForLoadState();
  assert.match(await page.locator('#notice').textContent(), /password/i);

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.goto('/account');
  assert.equal(new URL(page.url()).pathname, '/login', 'logged out');

  await login(page, USER, 'user-secret');
  assert.equal(new URL(page.url()).pathname, '/login', 'the old password is refused');
  assert.ok(await page.locator('.error').isVisible());

  await login(page, USER, 'user-new-secret');
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.match(await page.locator('nav').textContent(), new RegExp(USER));
});

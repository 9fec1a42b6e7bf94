// The newer panel pages in headless Chromium: the admin's account types,
// contacts lists and an account's types, actions, dictionary and external
// account (admin_items.html), the audit log, the account recovery pages
// and the account creation request page. Each page is screenshotted and
// checked by axe-core.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN, ADMIN_KEY, BASE, DOMAIN, USER, api, browser, checkPage, login, serverLog,
} from './lib.mjs';

const LOST = `e2e_lost@${DOMAIN}`;
const LOST_EMAIL = 'lost@e2e.example.org';

/** The id of the account `address`, from the admin API. */
async function accountId(address) {
  const response = await api(`/api/accounts/${address}/search`, ADMIN, ADMIN_KEY);
  assert.equal(response.status, 200);
  return (await response.json()).id;
}

/** Submits `form`'s button `submit`, then checks the flash notice. */
async function submit(page, form, submit, notice) {
  await form.getByRole('button', { name: submit, exact: true }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('#notice').textContent(), notice);
}

test('an admin manages types, contacts lists and the items of an account', async () => {
  const page = await browser();
  await login(page, ADMIN, 'admin-secret');
  const nav = page.getByRole('navigation');

  await nav.getByRole('link', { name: 'Account types' }).click();
  await checkPage(page, 'admin-account-types-empty');
  const newType = page.getByRole('form', { name: 'New type' });
  await newType.getByLabel('Key (lowercase letters, digits, - and _)').fill('premium');
  await submit(page, newType, 'Create', 'The type premium is created.');
  assert.equal(await page.locator('tr.item').count(), 1);
  await checkPage(page, 'admin-account-types');

  await nav.getByRole('link', { name: 'Contacts lists' }).click();
  const newList = page.getByRole('form', { name: 'New contacts list' });
  await newList.getByLabel('Title').fill('Friends');
  await newList.getByLabel('Description').fill('People to call');
  await submit(page, newList, 'Create', 'The contacts list Friends is created.');
  await checkPage(page, 'admin-contacts-lists');
  await page.getByRole('link', { name: 'Friends' }).click();
  const addContact = page.getByRole('form', { name: 'Add a contact' });
  await addContact.getByLabel('SIP address (user@domain)').fill(USER);
  await submit(page, addContact, 'Add', `${USER} is in the list.`);
  const give = page.getByRole('form', { name: 'Give the list to an account' });
  await give.getByLabel('SIP address (user@domain)').fill(ADMIN);
  await submit(page, give, 'Give', `${ADMIN} has the list.`);
  assert.equal(await page.locator('tr.item').count(), 2);
  // Each remove button says what it removes.
  assert.equal(await page.getByRole('button', { name: `Remove ${USER}` }).count(), 1);
  assert.equal(await page.getByRole('button', { name: `Remove ${ADMIN}` }).count(), 1);
  await checkPage(page, 'admin-contacts-list');

  // The items of e2e_user: the actions need a DTMF protocol first.
  const id = await accountId(USER);
  const base = `/admin/accounts/${id}`;
  await page.goto(`${base}/types`);
  const giveType = page.getByRole('form', { name: 'Give a type' });
  await giveType.getByLabel('Type').selectOption({ label: 'premium' });
  await submit(page, giveType, 'Give', 'The account has the type premium.');
  await checkPage(page, 'admin-account-items-types');

  await page.goto(`${base}/actions`);
  assert.match(await page.locator('body').textContent(), /no DTMF protocol/);
  await checkPage(page, 'admin-account-items-actions-none');
  await page.goto(base);
  await page.getByLabel('DTMF protocol').selectOption('sipinfo');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForLoadState();
  await page.goto(`${base}/actions`);
  const newAction = page.getByRole('form', { name: 'New action' });
  await newAction.getByLabel('Key (lowercase letters, digits, - and _)').fill('open-door');
  await newAction.getByLabel('Code (lowercase letters and digits)').fill('12ab');
  await submit(page, newAction, 'Add', 'The action open-door is added.');
  await checkPage(page, 'admin-account-items-actions');

  await page.goto(`${base}/dictionary`);
  const entry = page.getByRole('form', { name: 'Set an entry' });
  await entry.getByLabel('Key').fill('theme');
  await entry.getByLabel('Value').fill('dark');
  await submit(page, entry, 'Set', 'The entry theme is set.');
  await checkPage(page, 'admin-account-items-dictionary');

  await page.goto(`${base}/external`);
  await checkPage(page, 'admin-account-items-external-none');
  const external = page.getByRole('form', { name: 'Create' });
  await external.getByLabel('Username').fill('remote');
  await external.getByLabel('Domain').fill('remote.example.com');
  await external.getByLabel(/^Password/).fill('remote-secret');
  await external.getByLabel('Protocol').selectOption('TLS');
  await submit(page, external, 'Save', 'The external account is saved.');
  await checkPage(page, 'admin-account-items-external');

  // Each change is in the audit log, newest first.
  await nav.getByRole('link', { name: 'Audit log' }).click();
  const actions = await page.locator('tr.audit td:nth-child(3)').allTextContents();
  assert.deepEqual(actions.slice(0, 7), [
    'external_account.set', 'dictionary.set', 'account_action.create', 'account.update',
    'account_type.give', 'contacts_list.give', 'contacts_list.contact_add',
  ]);
  await checkPage(page, 'admin-audit');
});

test('a person recovers an account by e-mail and sets a new password', async () => {
  const page = await browser();
  await page.goto('/recovery/phone');
  await checkPage(page, 'recovery-phone');
  await page.getByRole('link', { name: 'Recover it with my e-mail address' }).click();
  await checkPage(page, 'recovery-email');
  await page.getByLabel('Username').fill('e2e_lost');
  await page.getByLabel('E-mail address').fill(LOST_EMAIL);
  const mailsBefore = serverLog().split('mail (log mailer)').length;
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.waitForLoadState();
  await checkPage(page, 'recovery-code');

  // The log mailer wrote the mail to the server's log.
  let code;
  for (let i = 0; i < 50 && !code; i++) {
    const mails = serverLog().split('mail (log mailer)');
    if (mails.length > mailsBefore) code = mails.at(-1).match(/\n\s*(\d{4})\s*\n/)?.[1];
    if (!code) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(code, 'a code in the mail');
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Go on' }).click();
  await page.waitForLoadState();
  assert.match(new URL(page.url()).pathname, /^\/recovery\/password\//);
  await checkPage(page, 'recovery-password');
  await page.getByLabel('New password').fill('lost-new-secret');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.waitForLoadState();
  // The new password logs the person in; it works again after a log out.
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.match(await page.locator('nav').textContent(), new RegExp(LOST));
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForLoadState();
  await login(page, LOST, 'lost-new-secret');
  assert.equal(new URL(page.url()).pathname, '/account');
});

test('a person confirms an account creation request', async () => {
  const response = await fetch(new URL('/api/account_creation_request_tokens', BASE), {
    method: 'POST',
    headers: { Accept: 'application/json' },
  });
  assert.equal(response.status, 201);
  const { validation_url: url } = await response.json();
  assert.ok(url.startsWith(BASE), url);

  const page = await browser();
  await page.goto(url);
  await checkPage(page, 'creation-request');
  await page.getByRole('button', { name: 'I confirm' }).click();
  await page.waitForLoadState();
  await checkPage(page, 'creation-request-done');
  await page.goto(url);
  await checkPage(page, 'creation-request-gone');
});

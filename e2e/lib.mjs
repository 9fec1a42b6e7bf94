// What the browser tests share (scripts/browser-test starts the server and
// sets the E2E_* variables): a browser on a fresh profile per flow, the
// screenshot and axe-core check of a page, login, and API calls with the
// admin's key. Each test file runs in a process of its own.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

export const BASE = process.env.E2E_BASE_URL;
export const DOMAIN = process.env.E2E_DOMAIN;
export const ADMIN_KEY = process.env.E2E_ADMIN_KEY;
const SHOTS = process.env.E2E_SCREENSHOTS;
const SERVER_LOG = process.env.E2E_SERVER_LOG;
export const ADMIN = `e2e_admin@${DOMAIN}`;
export const USER = `e2e_user@${DOMAIN}`;

// playwright-core adds --headless and --user-data-dir (the fresh profile
// below) itself. Without these, Chromium tries to reach the network (none
// here) and hangs.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// What axe-core checks: every WCAG 2.0/2.1/2.2 A and AA rule (labels,
// contrast, names of buttons and links, document language, titles…) and
// its best practices (landmarks, headings, table headers).
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

const profiles = [];
const contexts = [];

before(() => {
  assert.ok(BASE && DOMAIN && ADMIN_KEY && SHOTS && SERVER_LOG, 'run through scripts/browser-test');
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  for (const context of contexts) await context.close();
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
});

/** A new browser on a fresh --user-data-dir, and its page. */
export async function browser() {
  const dir = mkdtempSync(join(tmpdir(), 'flexiapi-e2e-'));
  profiles.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL: BASE,
    viewport: { width: 1024, height: 768 },
  });
  contexts.push(context);
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return page;
}

/** Saves the screenshot and fails on any violation of AXE_TAGS. */
export async function checkPage(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async (tags) => {
    const result = await globalThis.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
    });
    return result.violations.map((v) => ({
      rule: v.id,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  }, AXE_TAGS);
  assert.deepEqual(violations, [], `accessibility of ${name}`);
}

export async function login(page, address, password) {
  await page.goto('/login');
  await page.getByLabel('SIP address').fill(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState();
}

/** GET `path` with the API key headers. */
export function api(path, from, key) {
  return fetch(new URL(path, BASE), {
    headers: { From: `sip:${from}`, 'x-api-key': key, Accept: 'application/json' },
  });
}

export async function accountState(id) {
  const response = await api(`/api/accounts/${id}`, ADMIN, ADMIN_KEY);
  assert.equal(response.status, 200);
  return response.json();
}


/** The server's log so far (the log mailer writes the mails there). */
export function serverLog() {
  return readFileSync(SERVER_LOG, 'utf8');
}

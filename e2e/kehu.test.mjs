// Browser test: a sales user's first minutes with Kehu, in Debian's Chromium.
// Starts the real `kehu serve --demo` on a fresh SQLite file and a free port, signs in,
// creates a customer with a Chinese name, finds it through global search, opens its 360
// page and switches the language. Screenshots go to e2e/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.KEHU_BIN ?? join(here, '..', 'target', 'debug', 'kehu');
const screenshots = join(here, 'screenshots');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let server;
let baseUrl;
let adminPassword;
let dataDir;
let browser;

/** Starts `kehu serve --demo` and waits for its address and the admin password. */
function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), 'kehu-e2e-'));
  const child = spawn(binary, ['serve', '--demo', '--bind', '127.0.0.1:0', '--database-url', `sqlite://${join(dataDir, 'kehu.db')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEHU_LOG: 'warn' },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kehu did not start in 120 s; output:\n${output}`)), 120_000);
    const read = (chunk) => {
      output += chunk.toString();
      // Each match needs the line's end: output arrives in chunks, and a chunk may end
      // in the middle of the address ("http://127" is a valid, wrong, URL).
      const address = output.match(/Kehu is running at (http:\/\/\S+)\s/);
      const password = output.match(/Sign in as `admin` with password: (\S+)\s/);
      if (address && password) {
        clearTimeout(timer);
        resolve({ child, url: address[1], password: password[1] });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`kehu exited with ${code}; output:\n${output}`)));
  });
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  const started = await startServer();
  server = started.child;
  baseUrl = started.url;
  adminPassword = started.password;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function shot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

test('sign in, create a Chinese customer, find it, open its 360 page, switch language', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  await page.goto(`${baseUrl}/`);
  assert.match(page.url(), /\/login/, 'an anonymous visitor is sent to the sign-in page');
  await shot(page, '01-login');
  await page.fill('input[name="username"]', 'admin');
  await page.fill('input[name="password"]', adminPassword);
  await Promise.all([page.waitForNavigation(), page.click('form[action^="/login"] button[type="submit"]')]);
  assert.doesNotMatch(page.url(), /\/login/, 'signed in');
  await shot(page, '02-home');

  const name = '苏州测试精密机械有限公司';
  await page.goto(`${baseUrl}/accounts/new`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="phone"]', '0512-6888 1234');
  await page.fill('input[name="email"]', 'sales@suzhou-test.example.com');
  await shot(page, '03-new-customer');
  await Promise.all([page.waitForNavigation(), page.click('form.record-form button[type="submit"]')]);
  assert.match(page.url(), /\/accounts\/\d+$/, 'saving leads to the customer page');
  const customerUrl = page.url();
  assert.ok((await page.textContent('h1')).includes(name));

  // Global search by a Chinese word inside the name.
  await page.fill('header form[action="/search"] input[name="q"]', '精密机械');
  await Promise.all([page.waitForNavigation(), page.press('header form[action="/search"] input[name="q"]', 'Enter')]);
  await shot(page, '04-search');
  const link = page.locator(`a[href="${new URL(customerUrl).pathname}"]`).first();
  assert.ok(await link.isVisible(), 'the new customer is in the search results');
  await Promise.all([page.waitForNavigation(), link.click()]);
  assert.equal(page.url(), customerUrl);
  await shot(page, '05-customer-360-zh');
  const body = await page.textContent('body');
  assert.ok(body.includes('联系人'), 'Chinese UI shows 联系人');
  assert.ok(body.includes('0512-6888 1234'));

  // Switch to English; the choice is saved for the user.
  await page.click('details.user-menu summary');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/settings/locale"] button[value="en"]')]);
  await page.goto(customerUrl);
  await shot(page, '06-customer-360-en');
  const english = await page.textContent('body');
  assert.ok(english.includes('Contacts'), 'English UI shows Contacts');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await context.close();
});

test('the customer list works on a phone-sized screen', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name="username"]', 'admin');
  await page.fill('input[name="password"]', adminPassword);
  await Promise.all([page.waitForNavigation(), page.click('form[action^="/login"] button[type="submit"]')]);
  await page.goto(`${baseUrl}/accounts`);
  await shot(page, '07-accounts-phone');
  const rows = await page.locator('table tbody tr').count();
  assert.ok(rows >= 20, `the first page lists demo customers (got ${rows})`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 420, `the page does not scroll sideways on a phone (width ${width})`);
  await context.close();
});

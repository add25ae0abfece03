// Browser test: a sales user's first minutes with Kehu, in Debian's Chromium.
// Starts the real `kehu serve --demo` on a fresh SQLite file and a free port, signs in,
// creates a customer with a Chinese name, finds it through global search, opens its 360
// page and switches the language. Screenshots go to e2e/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKehu, signIn, shot } from './server.mjs';

let kehu;
let baseUrl;
let adminPassword;
let browser;

before(async () => {
  kehu = await startKehu();
  ({ baseUrl, adminPassword, browser } = kehu);
});

after(async () => {
  await kehu?.stop();
});

test('sign in, create a Chinese customer, find it, open its 360 page, switch language', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  await page.goto(`${baseUrl}/`);
  assert.match(page.url(), /\/login/, 'an anonymous visitor is sent to the sign-in page');
  await shot(page, '01-login');
  await signIn(page, baseUrl, 'admin', adminPassword);
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
  await signIn(page, baseUrl, 'admin', adminPassword);
  await page.goto(`${baseUrl}/accounts`);
  await shot(page, '07-accounts-phone');
  const rows = await page.locator('table tbody tr').count();
  assert.ok(rows >= 20, `the first page lists demo customers (got ${rows})`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 420, `the page does not scroll sideways on a phone (width ${width})`);
  await context.close();
});

// Browser test of mass update, in Chinese and in English: tick customers on the list,
// set a field for all of them, see the preview, apply, find the change on a customer's
// timeline; and the "change all" way in from a searched list. Screenshots go to
// e2e/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKehu, signIn, shot } from './server.mjs';

// The two runs share one server; each ticks its own rows and writes its own city, so
// neither depends on what the other did.
const RUNS = [
  {
    locale: 'zh-CN',
    rows: [0, 1],
    city: '测试新区',
    changeSelected: '批量修改所选',
    title: '批量修改客户',
    selected: '已选：2 个客户',
    cityLabel: '城市',
    changeCity: '修改城市',
    showPreview: '预览修改',
    willChange: '将修改',
    twoCustomers: '2 个客户',
    apply: '修改 2 个客户',
    done: '已修改 2 个客户。',
    changeAll: '修改全部 2 条',
    wholeList: '列表全部：2 个客户',
  },
  {
    locale: 'en',
    rows: [2, 3],
    city: 'Testville',
    changeSelected: 'Change selected',
    title: 'Change several customers',
    selected: 'Selected: 2 customers',
    cityLabel: 'City',
    changeCity: 'Change City',
    showPreview: 'Show what will change',
    willChange: 'Will change',
    twoCustomers: '2 customers',
    apply: 'Apply to 2 customers',
    done: 'Changed 2 customers.',
    changeAll: 'Change all 2',
    wholeList: 'The whole list: 2 customers',
  },
];

let kehu;

before(async () => {
  kehu = await startKehu();
});

after(async () => {
  await kehu?.stop();
});

/** Clicks something that submits a form and waits for the page it leads to. */
async function submit(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
}

async function massUpdate(run) {
  const context = await kehu.browser.newContext({ locale: run.locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const name = `mass-${run.locale}`;
  await signIn(page, kehu.baseUrl, 'admin', kehu.adminPassword);
  await page.goto(`${kehu.baseUrl}/accounts`);

  // Ticking rows: the button says how many, and is off while none is.
  const button = page.getByRole('button', { name: new RegExp(`^${run.changeSelected}`) });
  assert.equal(await button.isDisabled(), true, 'nothing ticked yet');
  const rows = page.locator('table tbody tr');
  const names = [];
  for (const index of run.rows) {
    const row = rows.nth(index);
    names.push((await row.locator('a[href^="/accounts/"]').first().textContent()).trim());
    await row.getByRole('checkbox').check();
  }
  assert.equal((await button.textContent()).trim(), `${run.changeSelected} (2)`);
  await shot(page, `${name}-list-ticked`);
  await submit(page, button);

  // The form names the selection; typing a value ticks its field.
  await page.getByRole('heading', { level: 1, name: run.title }).waitFor();
  assert.equal((await page.locator('#mass-selection').textContent()).trim(), run.selected);
  await page.getByLabel(run.cityLabel, { exact: true }).fill(run.city);
  assert.equal(await page.getByRole('checkbox', { name: run.changeCity }).isChecked(), true, 'typing ticks the field');
  await submit(page, page.getByRole('button', { name: run.showPreview }));

  // The preview counts; applying asks first, then the list says what changed.
  const preview = page.locator('#mass-preview');
  const line = preview.locator('dl > div').filter({ hasText: run.willChange });
  assert.equal((await line.locator('dd').textContent()).trim(), run.twoCustomers);
  const values = preview.locator('.mass-preview__values > div');
  assert.equal(await values.count(), 1, 'only the ticked field is set');
  assert.equal((await values.locator('dd').textContent()).trim(), run.city);
  // The page opens at the preview; the screenshot shows it from the top (the top bar
  // sticks to wherever the page is scrolled).
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, `${name}-preview`);
  page.once('dialog', (dialog) => dialog.accept());
  await submit(page, page.getByRole('button', { name: run.apply }));
  const notice = (await page.getByRole('status').locator('.flash__text').textContent()).trim();
  assert.equal(notice, run.done);
  await shot(page, `${name}-done`);

  // Each customer's timeline shows the change, who made it and the new value.
  for (const customer of names) {
    await page.goto(`${kehu.baseUrl}/accounts`);
    await submit(page, page.getByRole('link', { name: customer, exact: true }).first());
    const change = page.locator('.timeline .changes li').filter({ hasText: run.cityLabel }).first();
    assert.equal((await change.locator('ins').textContent()).trim(), run.city, `${customer}'s timeline shows the new city`);
  }
  await shot(page, `${name}-timeline`);

  // A searched list offers its whole result ("change all 2") in the same form.
  await page.goto(`${kehu.baseUrl}/accounts?q=${encodeURIComponent(run.city)}`);
  await submit(page, page.getByRole('link', { name: run.changeAll }));
  assert.equal((await page.locator('#mass-selection').textContent()).trim(), run.wholeList);
  await shot(page, `${name}-whole-list`);
  // On a phone the rows stack: box and label above the value, nothing wider than the screen.
  const formUrl = page.url();
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(formUrl);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the form fits a phone (${width}px wide)`);
  await shot(phone, `${name}-phone`);
  await context.close();
}

for (const run of RUNS) {
  test(`mass update in ${run.locale}: tick, preview, apply, timeline`, () => massUpdate(run));
}

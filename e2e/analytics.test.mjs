// Browser test of the customer value pages with the demo company, in Chinese and in
// English: the RFM heat map with every segment populated, the charts drawn, a heat map
// cell opened as a customer list, and the cash-flow CLV calculator. The demo's values
// are computed by the background job when the server starts. Screenshots go to
// e2e/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKehu, signIn, shot } from './server.mjs';

const RUNS = [
  { locale: 'zh-CN', customers: (n) => `共 ${n} 个客户`, title: '客户价值分析', segments: '客户分群', calculator: '现金流 CLV 计算器' },
  { locale: 'en', customers: (n) => `${n} customers`, title: 'Customer value', segments: 'Segments', calculator: 'Cash-flow CLV calculator' },
];

let kehu;

before(async () => {
  kehu = await startKehu();
});

after(async () => {
  await kehu?.stop();
});

/** Opens /analytics, reloading until the background job's first run is shown. */
async function openComputedOverview(page) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    await page.goto(`${kehu.baseUrl}/analytics`);
    if (await page.locator('table.rfm-grid').count()) return;
    assert.ok(Date.now() < deadline, 'the customer values were computed within 2 minutes');
    await page.waitForTimeout(1000);
  }
}

for (const run of RUNS) {
  test(`customer value pages in ${run.locale}: heat map, segments, charts, calculator`, async () => {
    const context = await kehu.browser.newContext({ locale: run.locale, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, kehu.baseUrl, 'admin', kehu.adminPassword);
    if (run.locale === 'en') {
      await page.click('details.user-menu summary');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/settings/locale"] button[value="en"]')]);
    }
    await openComputedOverview(page);
    assert.equal(await page.getAttribute('html', 'lang'), run.locale);
    assert.equal((await page.textContent('h1')).trim(), run.title);

    // A 5 × 5 heat map whose cells count the demo's customers.
    const cells = page.locator('table.rfm-grid td.rfm-cell');
    assert.equal(await cells.count(), 25);
    const counts = (await cells.locator('strong').allTextContents()).map((c) => Number(c.replace(/[^0-9]/g, '')));
    const total = counts.reduce((a, b) => a + b, 0);
    assert.ok(total > 1000, `the heat map counts the demo's buyers (${total})`);

    // The segment table: the ten default segments, each with customers.
    const segments = page.locator('section[aria-labelledby="segments-title"] tbody tr');
    assert.equal(await segments.count(), 10);
    const segmentCounts = await segments.locator('td:nth-child(2)').allTextContents();
    for (const count of segmentCounts) {
      assert.ok(Number(count.replace(/[^0-9]/g, '')) > 0, `every segment is populated (${segmentCounts})`);
    }
    assert.ok((await page.textContent('#segments-title')).includes(run.segments));

    // The Pareto and CLV charts are drawn (ECharts on a canvas), not left as data.
    for (const id of ['abc-title', 'clv-title']) {
      const canvas = page.locator(`section[aria-labelledby="${id}"] [data-chart-ready="1"] canvas`);
      await canvas.first().waitFor({ timeout: 10_000 });
      const box = await canvas.first().boundingBox();
      assert.ok(box && box.width > 200 && box.height > 100, `${id} chart drawn (${JSON.stringify(box)})`);
    }
    await shot(page, `analytics-${run.locale}-overview`);

    // The fullest cell opens its customers in the customer list, filtered by R and F.
    const fullest = counts.indexOf(Math.max(...counts));
    await Promise.all([page.waitForNavigation(), cells.nth(fullest).locator('a').click()]);
    assert.match(page.url(), /\/accounts\?rfm_r__in=\d&rfm_f__in=\d$/);
    const rows = await page.locator('table tbody tr').count();
    assert.ok(rows > 0 && rows <= counts[fullest], `the cell's customers are listed (${rows} of ${counts[fullest]})`);
    assert.ok((await page.textContent('body')).includes(run.customers(counts[fullest])), 'the list counts the cell');
    await shot(page, `analytics-${run.locale}-cell`);

    // The cash-flow calculator shows each year's cash flow.
    await page.goto(`${kehu.baseUrl}/analytics/clv-calculator`);
    assert.ok((await page.textContent('h1')).includes(run.calculator));
    await Promise.all([page.waitForNavigation(), page.click('form[action="/analytics/clv-calculator"] button[type="submit"]')]);
    const years = await page.locator('table tbody tr').count();
    assert.ok(years >= 3, `a row per year (${years})`);
    await shot(page, `analytics-${run.locale}-calculator`);
    await context.close();
  });
}

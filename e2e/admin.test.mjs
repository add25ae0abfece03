// Browser test of the administrator's permission pages, in Chinese and in English: the
// role matrix, the team tree, sharing a customer, transferring a user's customers with a
// preview, and finding all of it in the audit log. Screenshots go to e2e/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKehu, signIn, shot } from './server.mjs';

// What each run changes, and the texts it expects, per language. The two runs share one
// server; each works on its own role, team, users, customer and contact (the `index`-th
// of the lists), so neither depends on what the other did.
const RUNS = [
  {
    locale: 'zh-CN',
    index: 0,
    rolesTitle: '角色',
    role: '销售代表',
    editRole: '编辑角色：销售代表',
    matrixCell: '客户 · 导出',
    newScope: '本团队',
    fieldSecurity: '字段权限',
    save: '保存',
    roleSaved: '角色已保存。',
    teamsTitle: '团队',
    parentTeam: '华东销售组',
    newTeam: '华东大客户组',
    createTeam: '创建团队',
    teamSaved: '团队已保存。',
    sharingTitle: '已共享给',
    shareWith: '周洁',
    writeAccess: '可查看和编辑',
    share: '共享',
    shared: '已共享。',
    revoke: '取消共享',
    unshared: '已取消共享。',
    notShared: '尚未共享给任何人。',
    transferTitle: '客户转移',
    from: '王强 (wang.qiang)',
    fromName: '王强',
    to: '李娜 (li.na)',
    showPreview: '预览转移数量',
    preview: /将转移 (\d+) 个客户和 (\d+) 个联系人。/,
    confirm: '立即转移',
    done: /已将 (\d+) 个客户和 (\d+) 个联系人转移给李娜。/,
    auditTitle: '审计日志',
    admin: '系统管理员 (admin)',
    recordsTransferred: '转移了其记录：',
    customer: '客户',
    search: '查询',
    sharedAction: '共享了',
    unsharedAction: '取消共享了',
    personalData: '个人数据',
    channels: ['电子邮件', '电话', '短信/聊天消息'],
    editConsent: '修改联系许可',
    consentTitle: '联系许可',
    yes: '同意',
    consentSaved: '同意设置已保存。',
  },
  {
    locale: 'en',
    index: 1,
    rolesTitle: 'Roles',
    role: 'Service agent',
    editRole: 'Edit role: Service agent',
    matrixCell: 'Customer · Export',
    newScope: 'Team',
    fieldSecurity: 'Field security',
    save: 'Save',
    roleSaved: 'Role saved.',
    teamsTitle: 'Teams',
    parentTeam: '华南销售组',
    newTeam: 'South key accounts',
    createTeam: 'Create team',
    teamSaved: 'Team saved.',
    sharingTitle: 'Shared with',
    shareWith: '周洁',
    writeAccess: 'View and edit',
    share: 'Share',
    shared: 'Shared.',
    revoke: 'Stop sharing',
    unshared: 'No longer shared.',
    notShared: 'Not shared with anyone.',
    transferTitle: 'Transfer customers',
    from: '黄敏 (huang.min)',
    fromName: '黄敏',
    to: 'David Lin (david.lin)',
    showPreview: 'Show what would move',
    preview: /(\d+) customers? and (\d+) contacts? will move\./,
    confirm: 'Transfer now',
    done: /(\d+) customers? and (\d+) contacts? were transferred to David Lin\./,
    auditTitle: 'Audit log',
    admin: '系统管理员 (admin)',
    recordsTransferred: 'transferred the records of',
    customer: 'Customer',
    search: 'Search',
    sharedAction: 'shared',
    unsharedAction: 'stopped sharing',
    personalData: 'Personal data',
    channels: ['E-mail', 'Phone calls', 'Messages (SMS, chat apps)'],
    editConsent: 'Change consent',
    consentTitle: 'Consent to be contacted',
    yes: 'Yes',
    consentSaved: 'Consent saved.',
  },
];

let kehu;

before(async () => {
  kehu = await startKehu();
});

after(async () => {
  await kehu?.stop();
});

/** Chooses the option whose visible text (ignoring indentation) is `text`. */
async function choose(select, text) {
  const value = await select.evaluate(
    (el, wanted) => [...el.options].find((o) => o.textContent.trim() === wanted)?.value,
    text,
  );
  assert.ok(value !== undefined, `the list offers "${text}"`);
  await select.selectOption(value);
}

/** The visible text of a select's chosen option. */
function chosen(select) {
  return select.evaluate((el) => el.selectedOptions[0].textContent.trim());
}

/** Clicks something that submits a form and waits for the page it leads to. */
async function submit(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
}

/** The notice a redirect shows ("Role saved."). */
function notice(page) {
  return page.getByRole('status');
}

/** Asserts that the page shows the notice. */
async function assertNotice(page, expected) {
  const text = await notice(page).textContent();
  assert.ok(text.includes(expected), `the page says "${expected}" (it says "${text}")`);
}

async function editRoleMatrix(page, run, name) {
  await page.goto(`${kehu.baseUrl}/admin/roles`);
  await page.getByRole('heading', { level: 1, name: run.rolesTitle }).waitFor();
  await shot(page, `${name}-roles`);
  await submit(page, page.getByRole('link', { name: run.role, exact: true }));
  await page.getByRole('heading', { level: 1, name: run.editRole }).waitFor();
  const roleUrl = page.url();
  const cell = page.getByLabel(run.matrixCell, { exact: true });
  assert.notEqual(await chosen(cell), run.newScope, 'the scope is not already the new one');
  await page.getByRole('heading', { name: run.fieldSecurity }).waitFor();
  await shot(page, `${name}-role-matrix`);
  await choose(cell, run.newScope);
  await submit(page, page.getByRole('button', { name: run.save, exact: true }));
  await assertNotice(page, run.roleSaved);

  await page.goto(roleUrl);
  assert.equal(await chosen(page.getByLabel(run.matrixCell, { exact: true })), run.newScope, 'the new scope was saved');
}

async function addSubTeam(page, run, name) {
  await page.goto(`${kehu.baseUrl}/admin/teams`);
  await page.getByRole('heading', { level: 1, name: run.teamsTitle }).waitFor();
  await page.locator('#team-name').fill(run.newTeam);
  await choose(page.locator('#team-parent'), run.parentTeam);
  await submit(page, page.getByRole('button', { name: run.createTeam }));
  await assertNotice(page, run.teamSaved);

  const parent = page.getByRole('link', { name: run.parentTeam, exact: true });
  const child = page.getByRole('link', { name: run.newTeam, exact: true });
  // Nested: listed inside the parent's item, and indented further than the parent.
  const parentItem = page.getByRole('listitem').filter({ has: parent }).last();
  assert.ok(await parentItem.getByRole('link', { name: run.newTeam, exact: true }).isVisible(), 'the new team is listed under its parent');
  const [parentBox, childBox] = [await parent.boundingBox(), await child.boundingBox()];
  assert.ok(childBox.x > parentBox.x + 8, `the sub-team is indented (${childBox.x} vs ${parentBox.x})`);
  assert.ok(childBox.y > parentBox.y, 'the sub-team is below its parent');
  await shot(page, `${name}-teams`);
}

/** Shares a customer of the list with a user, then stops sharing; gives its id. */
async function shareAndRevoke(page, run, name) {
  await page.goto(`${kehu.baseUrl}/accounts`);
  await submit(page, page.locator('table tbody tr a[href^="/accounts/"]').nth(run.index));
  const accountId = page.url().match(/\/accounts\/(\d+)$/)[1];
  const panel = page.getByRole('region', { name: run.sharingTitle });
  assert.equal((await panel.textContent()).includes(run.notShared), true, 'not shared yet');

  await choose(panel.locator('#share-target'), run.shareWith);
  await choose(panel.locator('select[name="access"]'), run.writeAccess);
  await submit(page, panel.getByRole('button', { name: run.share, exact: true }));
  await assertNotice(page, run.shared);
  const listed = page.getByRole('region', { name: run.sharingTitle }).getByRole('listitem');
  assert.equal(await listed.count(), 1);
  assert.match(await listed.textContent(), new RegExp(`${run.shareWith}\\s*·\\s*${run.writeAccess}`));
  await shot(page, `${name}-sharing`);

  page.once('dialog', (dialog) => dialog.accept());
  await submit(page, listed.getByRole('button', { name: `${run.revoke}: ${run.shareWith}` }));
  await assertNotice(page, run.unshared);
  assert.ok((await page.getByRole('region', { name: run.sharingTitle }).textContent()).includes(run.notShared));
  return accountId;
}

/** The numbers a preview or a result sentence states. */
async function counts(locator, pattern) {
  const text = (await locator.textContent()).trim();
  const match = text.match(pattern);
  assert.ok(match, `"${text}" states the counts`);
  return [Number(match[1]), Number(match[2])];
}

async function transfer(page, run, name) {
  await page.goto(`${kehu.baseUrl}/admin/transfer`);
  await page.getByRole('heading', { level: 1, name: run.transferTitle }).waitFor();
  await choose(page.locator('#transfer-from'), run.from);
  await choose(page.locator('#transfer-to'), run.to);
  await submit(page, page.getByRole('button', { name: run.showPreview }));
  const preview = await counts(page.locator('#transfer-preview'), run.preview);
  assert.ok(preview[0] > 0 && preview[1] > 0, `a demo rep has customers and contacts (${preview})`);
  await shot(page, `${name}-transfer-preview`);

  page.once('dialog', (dialog) => dialog.accept());
  await submit(page, page.getByRole('button', { name: run.confirm }));
  assert.deepEqual(await counts(notice(page), run.done), preview, 'what moved is what the preview said');
  await shot(page, `${name}-transfer-done`);

  // Asked again, the preview finds nothing left to move, and offers no button.
  await choose(page.locator('#transfer-from'), run.from);
  await choose(page.locator('#transfer-to'), run.to);
  await submit(page, page.getByRole('button', { name: run.showPreview }));
  assert.deepEqual(await counts(page.locator('#transfer-preview'), run.preview), [0, 0]);
  assert.equal(await page.getByRole('button', { name: run.confirm }).count(), 0);
  await shot(page, `${name}-transfer-after`);
  return preview;
}

async function searchAudit(page, run, name, moved, accountId) {
  await page.goto(`${kehu.baseUrl}/admin/audit`);
  await page.getByRole('heading', { level: 1, name: run.auditTitle }).waitFor();
  const log = page.locator('#audit-log tbody tr');

  // By user and action: the transfer, naming the user and the counts.
  await choose(page.locator('#audit-user'), run.admin);
  await choose(page.locator('#audit-action'), run.recordsTransferred);
  await submit(page, page.getByRole('button', { name: run.search, exact: true }));
  await shot(page, `${name}-audit-transfer`);
  const transfers = log.filter({ hasText: run.fromName });
  assert.equal(await transfers.count(), 1, 'one transfer of this user');
  const [customers, contacts] = await counts(transfers, run.done);
  assert.deepEqual([customers, contacts], moved, 'the entry states what moved, and to whom');

  // By record: the share and its revocation, newest first.
  await page.goto(`${kehu.baseUrl}/admin/audit`);
  await choose(page.locator('#audit-entity'), run.customer);
  await page.locator('#audit-record').fill(accountId);
  await submit(page, page.getByRole('button', { name: run.search, exact: true }));
  await shot(page, `${name}-audit-record`);
  const actions = await log.locator('td:nth-child(3)').allTextContents();
  assert.deepEqual(actions.slice(0, 2).map((a) => a.trim()), [run.unsharedAction, run.sharedAction]);
  const shareEntry = await log.nth(1).textContent();
  assert.ok(shareEntry.includes(`${run.shareWith} · ${run.writeAccess}`), `the entry names who it was shared with: ${shareEntry}`);
}

/** A contact's personal data panel: the consent per channel, changed through its form. */
async function changeConsent(page, run, name) {
  await page.goto(`${kehu.baseUrl}/contacts`);
  await submit(page, page.locator('table tbody tr a[href^="/contacts/"]').nth(run.index));
  const panel = () => page.getByRole('region', { name: run.personalData });
  const terms = await panel().getByRole('term').allTextContents();
  assert.deepEqual(terms.map((t) => t.trim()), run.channels);
  await submit(page, panel().getByRole('link', { name: run.editConsent }));
  await page.getByRole('heading', { level: 1, name: run.consentTitle }).waitFor();
  await choose(page.locator('#email_answer'), run.yes);
  await page.locator('#email_date').fill('2026-11-02');
  await shot(page, `${name}-consent-form`);
  await submit(page, page.getByRole('button', { name: run.save, exact: true }));
  await assertNotice(page, run.consentSaved);
  const email = (await panel().getByRole('definition').first().textContent()).trim();
  assert.ok(email.startsWith(run.yes) && email.includes('2026-11-02'), `e-mail consent given: ${email}`);
  await shot(page, `${name}-contact-personal-data`);
}

async function adminPages(run) {
  const context = await kehu.browser.newContext({ locale: run.locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const name = `admin-${run.locale}`;
  await signIn(page, kehu.baseUrl, 'admin', kehu.adminPassword);
  assert.equal(await page.getAttribute('html', 'lang'), run.locale);

  await editRoleMatrix(page, run, name);
  await addSubTeam(page, run, name);
  const accountId = await shareAndRevoke(page, run, name);
  const moved = await transfer(page, run, name);
  await searchAudit(page, run, name, moved, accountId);
  await changeConsent(page, run, name);
  await context.close();
}

for (const run of RUNS) {
  test(`admin pages in ${run.locale}: roles, teams, sharing, transfer, audit log, consent`, () => adminPages(run));
}

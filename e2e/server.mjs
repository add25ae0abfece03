// Shared set-up of the browser tests: starts the real `kehu serve --demo` on a fresh
// SQLite file and a free port, launches Debian's Chromium, signs in and takes
// screenshots into e2e/screenshots/.

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

/** Starts `kehu serve --demo` and waits for its address and the admin password. */
function startServer(dataDir) {
  const child = spawn(binary, ['serve', '--demo', '--bind', '127.0.0.1:0', '--database-url', `sqlite://${join(dataDir, 'kehu.db')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEHU_LOG: 'warn' },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    // Generous: a debug build loading the demo company on a busy machine is slow, and a
    // server that never came up is stopped rather than left running.
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kehu did not start in 300 s; output:\n${output}`));
    }, 300_000);
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

/**
 * Starts Kehu with the demo company and Chromium. Returns `{ baseUrl, adminPassword,
 * browser, stop }`; `stop()` closes both and removes the database.
 */
export async function startKehu() {
  mkdirSync(screenshots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'kehu-e2e-'));
  let server;
  let browser;
  const stop = async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const started = await startServer(dataDir);
    server = started.child;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    return { baseUrl: started.url, adminPassword: started.password, browser, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Signs in on the sign-in page the browser is on (or is sent to). */
export async function signIn(page, baseUrl, username, password) {
  if (!/\/login/.test(page.url())) await page.goto(`${baseUrl}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action^="/login"] button[type="submit"]')]);
}

/** A full-page screenshot, e2e/screenshots/NAME.png. */
export async function shot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

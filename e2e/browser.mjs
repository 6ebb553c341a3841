// Shared set-up of the browser tests: Debian's Chromium driven by playwright-core, the URLs of a
// running `cmcc up` (from the environment), screenshots on demand.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO = (process.env.CMCC_DEMO_URL || 'http://127.0.0.1:8701/').replace(/\/?$/, '/');
export const SANDBOX = (process.env.CMCC_SANDBOX_URL || 'http://127.0.0.1:8700').replace(/\/$/, '');
export const GATEWAY = (process.env.CMCC_GATEWAY_URL || 'http://127.0.0.1:8702').replace(/\/$/, '');
const SHOTS = process.env.CMCC_SCREENSHOTS === '1';
const SHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');

export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CMCC_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync', ...extraArgs],
  });
}

/** A fresh phone-sized page (own cookies), with page errors turned into test failures. */
export async function phonePage(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  return page;
}

/** Save the final page as docs/screenshots/<name>.png when CMCC_SCREENSHOTS=1. */
export async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOT_DIR, `${name}.png`), fullPage: true });
}

// Every flow of the demo pages, in real Chromium, against a running `cmcc up`
// (crates/cli/tests/e2e.rs starts one on free ports and runs this file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launch, phonePage, shot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** H5 page: pick the device, get a token, type `phone`, verify; returns the result state. */
async function h5Login(page, device, phone) {
  await page.goto(`${DEMO}h5.html`);
  await page.fill('#device', device);
  await page.click('#start');
  await page.waitForSelector('#verify-form:not([hidden]), #result[data-state]');
  if (await page.isVisible('#verify-form')) {
    await page.fill('#phone', phone);
    await page.click('#verify');
  }
  await page.waitForSelector('#result[data-state]:not([hidden])');
  return page.getAttribute('#result', 'data-state');
}

test('H5: the typed number is the phone\'s own (000)', async () => {
  const page = await phonePage(browser);
  assert.equal(await h5Login(page, '13800138000', '13800138000'), 'matched');
  assert.match(await page.textContent('#result'), /000/);
  assert.equal(await page.isVisible('#fallback'), false);
  assert.deepEqual(page.errors, []);
  await shot(page, 'h5-match');
});

test('H5: another number (001) leads to the other login method', async () => {
  const page = await phonePage(browser);
  assert.equal(await h5Login(page, '13800138000', '13900139000'), 'mismatch');
  assert.match(await page.textContent('#result'), /001/);
  assert.equal(await page.isVisible('#fallback'), true);
  await shot(page, 'h5-mismatch');
});

test('H5: on WiFi the page offers the other login method without fetching a token', async () => {
  const page = await phonePage(browser);
  assert.equal(await h5Login(page, '13800138000; wifi', ''), 'wifi');
  assert.equal(await page.isVisible('#fallback'), true);
  assert.match(await page.textContent('#fallback'), /其他方式登录/);
  assert.match(await page.textContent('#steps'), /WIFI/);
  await shot(page, 'h5-wifi-fallback');
});

test('H5: a failed number fetch (105002) leads to the other login method', async () => {
  const page = await phonePage(browser);
  assert.equal(await h5Login(page, '19800001001', ''), 'token_failed');
  assert.match(await page.textContent('#result'), /105002/);
  assert.equal(await page.isVisible('#fallback'), true);
});

test('H5: the daily cap per number is reached on the 11th verification', async () => {
  const page = await phonePage(browser);
  const number = '13912345678';
  for (let i = 1; i <= 10; i++) {
    assert.equal(await h5Login(page, number, number), 'matched', `verification ${i}`);
  }
  assert.equal(await h5Login(page, number, number), 'daily_cap');
  assert.equal(await page.isVisible('#fallback'), true);
  await shot(page, 'h5-daily-cap');
});

// Every flow of the demo pages, in real Chromium, against a running `cmcc up`
// (crates/cli/tests/it/e2e.rs starts one on free ports and runs this file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, SANDBOX, launch, phonePage, shot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the index links every flow and the sandbox console', async () => {
  const page = await phonePage(browser);
  await page.goto(DEMO);
  for (const href of ['/h5.html', '/mini.html', '/uaid.html', '/iot.html']) {
    assert.equal(await page.locator(`a[href="${href}"]`).count(), 1, href);
  }
  const consoleLinks = await page.locator('a[href*="/_sandbox/"]').count();
  assert.ok(consoleLinks >= 3);
  const res = await page.request.get(await page.locator('a[href$="/_sandbox/#device"]').getAttribute('href'));
  assert.equal(res.status(), 200);
  await shot(page, 'index');
});

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

// A page that loads the JSSDK from the carrier's host, unchanged but for where the carrier's
// hosts lead: every request to www.cmpassport.com goes to the sandbox, and the route adds the
// number header the way the mobile network's gateway does (so the page picks no device).
test('H5: a page loading the script from the carrier\'s host works when those hosts are routed to the sandbox', async () => {
  // The rewritten page is a fulfilled response with no address of its own: Chromium counts it as
  // public and would block its calls to the gateway on 127.0.0.1 (local network access), which a
  // page really served from 127.0.0.1 may make. Its own browser, with that check off.
  const own = await launch(['--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessChecks,BlockInsecurePrivateNetworkRequests']);
  try {
    const page = await phonePage(own);
    const CARRIER = 'https://www.cmpassport.com';
    const seen = [];
    await page.route((url) => url.pathname === '/h5.html' && url.href.startsWith(DEMO), async (route) => {
      const resp = await route.fetch();
      const html = (await resp.text()).replace(`${SANDBOX}/NumberAbility/h5/js/`, `${CARRIER}/NumberAbility/h5/js/`);
      await route.fulfill({ response: resp, body: html });
    });
    await page.route(/^https?:\/\/www\.cmpassport\.com\//, async (route) => {
      const req = route.request();
      const u = new URL(req.url());
      seen.push(`${req.method()} ${u.host}${u.pathname}`);
      const headers = { ...(await req.allHeaders()), 'x-cmcc-sandbox-device': '13800138000' };
      const resp = await route.fetch({ url: SANDBOX + u.pathname + u.search, headers });
      await route.fulfill({ response: resp });
    });
    await page.goto(`${DEMO}h5.html?device=`);
    assert.equal(await page.locator(`script[src="${CARRIER}/NumberAbility/h5/js/jssdk_auth.min.js"]`).count(), 1);
    await page.click('#start');
    await page.waitForSelector('#verify-form:not([hidden]), #result[data-state]');
    assert.equal(await page.isVisible('#verify-form'), true, await page.textContent('#steps'));
    await page.fill('#phone', '13800138000');
    await page.click('#verify');
    await page.waitForSelector('#result[data-state]:not([hidden])');
    assert.equal(await page.getAttribute('#result', 'data-state'), 'matched', await page.textContent('#result'));
    assert.ok(seen.includes('GET www.cmpassport.com/NumberAbility/h5/getMobile.htm'), seen.join(', '));
    assert.ok(seen.includes('POST www.cmpassport.com/NumberAbility/h5/getToken.htm'), seen.join(', '));
    assert.deepEqual(page.errors, []);
  } finally {
    await own.close();
  }
});

test('mini-program: the mini JSSDK module in the browser, verified (000)', async () => {
  const page = await phonePage(browser);
  await page.goto(`${DEMO}mini.html`);
  await page.fill('#device', 'phone=19812345678, net=5g');
  await page.click('#start');
  await page.waitForSelector('#verify-form:not([hidden]), #result[data-state]');
  await page.fill('#phone', '19812345678');
  await page.click('#verify');
  await page.waitForSelector('#result[data-state]:not([hidden])');
  assert.equal(await page.getAttribute('#result', 'data-state'), 'matched');
  assert.deepEqual(page.errors, []);
  await shot(page, 'mini-match');
});

test('UAID: token from getMobile, exchanged by the gateway; stable per number', async () => {
  const page = await phonePage(browser);
  const uaid = async () => {
    await page.goto(`${DEMO}uaid.html`);
    await page.fill('#device', '13800138000');
    await page.click('#start');
    await page.waitForSelector('#result[data-state]:not([hidden])');
    assert.equal(await page.getAttribute('#result', 'data-state'), 'uaid', await page.textContent('#steps'));
    return (await page.textContent('#uaid')).trim();
  };
  const first = await uaid();
  assert.match(first, /^[0-9a-f]{64}$/i);
  assert.equal(await uaid(), first);
  await shot(page, 'uaid');
});

test('IoT: registration link, the sandbox registration page, push to the gateway\'s state', async () => {
  const page = await phonePage(browser);
  await page.goto(`${DEMO}iot.html`);
  await page.fill('#card', '1440000000001');
  await page.click('#link3');
  await page.waitForSelector('#out3:not([hidden])');
  const code = await page.textContent('#wx-code');
  assert.match(code, /wx\.navigateToMiniProgram/);
  assert.match(code, /transactionID/);
  await page.click('#link6');
  await page.waitForSelector('#out6:not([hidden])');
  await page.waitForSelector('#reg-state[data-state="pending"]');
  const url = await page.getAttribute('#reg-link', 'href');
  assert.match(url, /\/onelink\/h5\/reg\//);

  // The card user fills the carrier's registration page.
  const reg = await page.context().newPage();
  await reg.goto(url);
  await reg.fill('#name', '张三');
  await reg.fill('#resident_id', '11010519491231002X');
  await reg.check('input[name=liveness][value=pass]');
  await shot(reg, 'iot-registration-page');
  await Promise.all([reg.waitForNavigation(), reg.click('button[type=submit]')]);
  assert.match(await reg.textContent('body'), /实名登记成功/);
  await reg.close();

  // OneLink pushes the result to the gateway, which confirms the claim with 23A23; the demo page
  // sees the stored state change.
  await page.waitForSelector('#reg-state[data-state="registered"]', { timeout: 20000 });
  // Where the state comes from, in words (no 'store' or 'confirm' jargon).
  const detail = await page.textContent('#state-detail');
  assert.match(detail, /网关已保存的状态/);
  assert.doesNotMatch(detail, /来源 store|由 confirm/);
  const r = await (await fetch(`${DEMO}demo-api/cards/msisdn/1440000000001`)).json();
  assert.equal(r.registered, true);
  assert.equal(r.source, 'store');
  assert.equal(r.registration.state, 'registered');
  assert.equal(r.registration.settledBy, 'confirm');
  assert.equal(r.registration.confirmation, 'confirmed');
  await shot(page, 'iot-registered');
});

test('IoT: a second link within the minute (12012) says, in one message, when to try again', async () => {
  const page = await phonePage(browser);
  await page.goto(`${DEMO}iot.html`);
  await page.fill('#card', '1440000001002');
  await page.click('#link6');
  await page.waitForSelector('#out6:not([hidden])');
  await page.click('#link6');
  await page.waitForSelector('#error[data-code="12012"]:not([hidden])');
  const text = (await page.textContent('#error')).trim();
  // One Chinese sentence and its English, with the time to wait; none of the API's raw text.
  assert.match(text, /^这张卡一分钟内已申请过这种登记链接，请约 (1 分钟|\d+ 秒)后再试，或继续使用上次的链接。 A link of this kind .* try again in about (a minute|\d+ seconds), or use that link\.$/);
  assert.doesNotMatch(text, /carrier answered|Reuse|Retry-After|申请失败/);
  // The other urlType is a separate minute: the mini-program link is still made.
  await page.click('#link3');
  await page.waitForSelector('#out3:not([hidden])');
  assert.deepEqual(page.errors, []);
});

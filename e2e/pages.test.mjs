// Every page `cmcc up` serves, opened in real Chromium: none may log a console error, throw, or
// make a request that fails or answers 4xx/5xx, and each names an icon (a headed browser would
// otherwise ask for /favicon.ico and log its 404).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, SANDBOX, GATEWAY, launch, phonePage } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Open `url` and wait until the network is idle; returns what went wrong on the way. */
async function visit(url) {
  const page = await phonePage(browser);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => problems.push(`error: ${e}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  const resp = await page.goto(url, { waitUntil: 'networkidle' });
  assert.ok(resp, url);
  assert.equal(resp.status(), 200, url);
  // A headed browser asks for /favicon.ico on its own unless the page names an icon (headless
  // Chromium never does): so every HTML page names one, and every origin serves one.
  if ((resp.headers()['content-type'] || '').startsWith('text/html')) {
    const link = await page.$('link[rel~="icon"]');
    const icon = link && await link.getAttribute('href');
    if (!icon) problems.push('no <link rel=icon>');
    else if (!icon.startsWith('data:')) {
      const r = await page.request.get(new URL(icon, url).href);
      if (r.status() !== 200) problems.push(`icon ${icon}: HTTP ${r.status()}`);
    }
  }
  const fav = await page.request.get(new URL('/favicon.ico', url).href);
  if (fav.status() !== 200 || !(fav.headers()['content-type'] || '').startsWith('image/')) {
    problems.push(`/favicon.ico: HTTP ${fav.status()} ${fav.headers()['content-type']}`);
  }
  await page.context().close();
  return problems;
}

/** A registration link of a fresh generated card, from the demo site's backend. */
async function registrationLink() {
  const r = await fetch(`${DEMO}demo-api/registrations`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msisdn: '1440000001019', urlType: 6 }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()).url;
}

test('every page of cmcc up loads without a console error or a failed request', async () => {
  const pages = [
    DEMO, `${DEMO}h5.html`, `${DEMO}mini.html`, `${DEMO}uaid.html`, `${DEMO}iot.html`,
    `${SANDBOX}/`, `${SANDBOX}/_sandbox/`, `${SANDBOX}/_sandbox/auth/`, `${SANDBOX}/_sandbox/onelink/`,
    `${SANDBOX}/_sandbox/?card=1440000000002`,
    await registrationLink(),
    `${GATEWAY}/`, `${GATEWAY}/openapi.json`, `${GATEWAY}/healthz`,
  ];
  const seen = {};
  for (const url of pages) {
    seen[url] = await visit(url);
  }
  const bad = Object.entries(seen).filter(([, problems]) => problems.length);
  assert.deepEqual(bad, []);
});

test('demo home: the sandbox box lists its links as text, not tiles; the device box tells the truth', async () => {
  const page = await phonePage(browser);
  await page.goto(DEMO);
  const box = page.locator('.card.sandbox');
  const links = box.locator('a');
  assert.ok(await links.count() >= 5);
  for (const a of await links.all()) {
    assert.notEqual(await a.evaluate((e) => getComputedStyle(e).display), 'block', await a.textContent());
  }
  // No separator left alone between links.
  const stray = await box.evaluate((e) => [...e.querySelectorAll('*')].flatMap((n) => [...n.childNodes])
    .filter((t) => t.nodeType === 3 && t.textContent.trim() === '·').length);
  assert.equal(stray, 0);
  // The flow tiles stay tiles.
  assert.equal(await page.locator('main > a[href="/h5.html"]').evaluate((e) => getComputedStyle(e).display), 'block');

  // The device box names the option that uses the console's device, and that option exists.
  await page.goto(`${DEMO}h5.html`);
  const note = await page.textContent('#sandbox');
  assert.doesNotMatch(note, /选最后一项/);
  const m = note.match(/选「([^」]+)」/);
  assert.ok(m, note);
  const options = await page.locator('#device-preset option').allTextContents();
  assert.ok(options.some((o) => o.startsWith(m[1])), `${m[1]} is not an option: ${options}`);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

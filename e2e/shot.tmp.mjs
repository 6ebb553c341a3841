import { launch } from './browser.mjs';
const b = await launch();
const p = await (await b.newContext({ viewport: { width: 390, height: 800 }, locale: 'zh-CN' })).newPage();
await fetch('http://127.0.0.1:18701/demo-api/registrations', {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify({msisdn:'1440000001001', urlType:6})});
await fetch('http://127.0.0.1:18701/demo-api/registrations', {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify({msisdn:'1440000001001', urlType:6})});
await p.goto(process.argv[2]);
await p.screenshot({ path: process.argv[3], fullPage: true });
await b.close();

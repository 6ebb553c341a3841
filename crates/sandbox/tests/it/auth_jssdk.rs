//! Browser-free test of the JSSDK files: node runs the H5 JSSDK (global `YDRZ`) and the
//! mini-program module (with a fake `wx`, then with `fetch`) against a running sandbox; the
//! tokens they get are then verified over HTTP. Skipped without node, except under `CI=true`.

use cmcc_testkit::{within, DEADLINE};
use serde_json::Value;

use crate::support::auth::*;

const DRIVER: &str = r#"
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const [base, dir] = process.argv.slice(2);
const cfg = JSON.parse(process.env.CMCC_TEST_APP);

function once(fn, args) {
  return new Promise((resolve) => fn(Object.assign({}, args, {
    success: (r) => resolve({ ok: true, r }),
    error: (r) => resolve({ ok: false, r }),
  })));
}
async function load(p, file) {
  const text = await (await fetch(base + p)).text();
  const f = path.join(dir, file);
  fs.writeFileSync(f, text);
  delete require.cache[require.resolve(f)];
  return require(f);
}
function ts17() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  const p = (n, w) => String(n).padStart(w, '0');
  return p(d.getUTCFullYear(), 4) + p(d.getUTCMonth() + 1, 2) + p(d.getUTCDate(), 2) + p(d.getUTCHours(), 2) +
    p(d.getUTCMinutes(), 2) + p(d.getUTCSeconds(), 2) + p(d.getUTCMilliseconds(), 3);
}

(async () => {
  const out = {};
  // The page is served from the registered origin: the test plays the browser and sends them.
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init = {}) => {
    init.headers = Object.assign({ Referer: base + '/shop/login.html', Origin: base }, init.headers || {});
    return realFetch(url, init);
  };

  // ---------------- H5
  const h5 = await load('/NumberAbility/h5/js/jssdk_auth.min.js', 'h5.js');
  out.h5Global = typeof globalThis.YDRZ.getTokenInfo === 'function' && globalThis.YDRZ === h5;
  out.h5Connection = await once(h5.getConnection, { appId: cfg.appId });
  const key = crypto.createPrivateKey({ key: Buffer.from(cfg.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  const signPre = (pre) => crypto.createSign('RSA-MD5').update(pre).sign(key, 'base64');
  const pre = h5.getSign(cfg.appId, '1.0');
  out.preSign = pre;
  out.h5 = await once(h5.getTokenInfo, { data: { appId: cfg.appId, version: '1.0', sign: signPre(pre), expandParams: 'phoneNum=' + cfg.phone } });
  h5.setSandboxDevice(cfg.phone + '; wifi');
  out.h5WifiConnection = await once(h5.getConnection, { appId: cfg.appId });
  const pre2 = h5.getSign(cfg.appId, '1.0');
  out.h5Wifi = await once(h5.getTokenInfo, { data: { appId: cfg.appId, version: '1.0', sign: signPre(pre2) } });
  h5.setSandboxDevice(null);

  // ---------------- mini-program, inside WeChat (wx.request)
  let wxCalls = 0;
  globalThis.wx = {
    getSystemInfoSync: () => ({ brand: 'devtools', model: 'iPhone 12', system: 'iOS 15', version: '8.0.0', SDKVersion: '2.20.0' }),
    request: (o) => {
      wxCalls++;
      realFetch(o.url, { method: o.method, headers: o.header, body: JSON.stringify(o.data) })
        .then((r) => r.json().then((data) => o.success({ statusCode: r.status, data })))
        .catch((e) => o.fail({ errMsg: String(e) }));
    },
  };
  const mini = await load('/NumberAbility/jssdkVlm_MiniProg/jssdk_v1.0.0.min.js', 'mini.js');
  const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');
  const miniData = (traceId) => {
    const timestamp = ts17();
    return { version: '1.0', traceId, timestamp, appId: cfg.appId, openType: '1', expandParams: 'phoneNum=' + cfg.phone,
      sign: md5(cfg.appId + '5' + traceId + timestamp + traceId + '1.0' + cfg.appKey) };
  };
  out.miniDefault = mini.default === mini;
  mini.setSandboxDevice(cfg.phone);
  out.miniConnection = await once(mini.getConnection, { appId: cfg.appId });
  mini.setSandboxDevice(null);
  out.mini = await once(mini.getTokenInfo, { data: miniData(crypto.randomBytes(16).toString('hex')) });
  const bad = miniData(crypto.randomBytes(16).toString('hex'));
  bad.sign = '0'.repeat(32);
  out.miniBadSign = await once(mini.getTokenInfo, { data: bad });
  out.wxCalls = wxCalls;

  // ---------------- mini-program module outside WeChat (fetch)
  delete globalThis.wx;
  const mini2 = await load('/NumberAbility/jssdkVlm_MiniProg/jssdk_v1.0.0.min.js', 'mini2.js');
  out.miniFetch = await once(mini2.getTokenInfo, { data: miniData(crypto.randomBytes(16).toString('hex')) });
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

async fn node_available() -> bool {
    let probe = tokio::process::Command::new("node")
        .arg("--version")
        .kill_on_drop(true)
        .output();
    within("node --version", DEADLINE, probe)
        .await
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn jssdk_files_work_under_node() {
    if !node_available().await {
        assert!(
            !cmcc_testkit::backends::in_ci(),
            "node is required under CI=true"
        );
        eprintln!("skipping: node is not installed");
        return;
    }
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("driver.js");
    std::fs::write(&script, DRIVER).unwrap();
    let phone = "13800138000";
    let app = serde_json::json!({
        "appId": demo.app_id,
        "appKey": demo.app_key,
        "privateKey": demo.customer.to_base64().unwrap(),
        "phone": phone,
    });
    // Killed if it outlives the deadline (output() is dropped then).
    let run = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&s.base)
        .arg(dir.path())
        .env("CMCC_TEST_APP", app.to_string())
        .kill_on_drop(true)
        .output();
    let out = within("node running the JSSDK driver", DEADLINE, run)
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();

    // H5: global YDRZ, preSign shape, token, the 500 wrapper on WiFi.
    assert_eq!(r["h5Global"], true);
    assert_eq!(r["h5Connection"]["ok"], true, "{r}");
    let pre = r["preSign"].as_str().unwrap();
    assert!(
        cmcc_proto::format::PreSign::parse(pre, &demo.app_id).is_ok(),
        "{pre}"
    );
    assert_eq!(r["h5"]["ok"], true, "{}", r["h5"]);
    assert_eq!(r["h5"]["r"]["code"], "103000");
    let token = r["h5"]["r"]["token"].as_str().unwrap();
    let ui = r["h5"]["r"]["userInformation"].as_str().unwrap();
    assert!(!ui.is_empty());
    assert_eq!(s.verify(&demo, phone, token, ui).await, "000");
    assert_eq!(r["h5WifiConnection"]["r"]["netType"], "WIFI");
    assert_eq!(r["h5Wifi"]["ok"], false);
    assert_eq!(r["h5Wifi"]["r"]["code"], "500");
    assert_eq!(r["h5Wifi"]["r"]["message"], "图片请求失败");
    assert_eq!(r["h5Wifi"]["r"]["resultCode"], "111002");

    // Mini-program: wx.request when present, real codes on error, fetch otherwise.
    assert_eq!(r["miniDefault"], true);
    assert_eq!(r["miniConnection"]["r"]["netType"], "4G");
    assert_eq!(r["mini"]["ok"], true, "{}", r["mini"]);
    let token = r["mini"]["r"]["token"].as_str().unwrap();
    let ui = r["mini"]["r"]["userInformation"].as_str().unwrap();
    assert_eq!(s.verify(&demo, phone, token, ui).await, "000");
    assert_eq!(r["miniBadSign"]["ok"], false);
    assert_eq!(r["miniBadSign"]["r"]["code"], "103101");
    assert!(r["wxCalls"].as_u64().unwrap() >= 3, "{r}");
    assert_eq!(r["miniFetch"]["ok"], true, "{}", r["miniFetch"]);
    let token = r["miniFetch"]["r"]["token"].as_str().unwrap();
    let ui = r["miniFetch"]["r"]["userInformation"].as_str().unwrap();
    assert_eq!(s.verify(&demo, "13900139000", token, ui).await, "001");
    s.run.stop();
}

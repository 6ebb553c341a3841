//! The pages are templates, not string replacement: a value is printed as data wherever it comes
//! from (a form, a query, the state), escaped for HTML, never expanded as template text.

use cmcc_sandbox::onelink::config::DEMO_APPID;
use cmcc_sandbox::{Running, SandboxConfig};

/// Template text, a script break-out and a quote, all in one value.
const HOSTILE: &str = "{{faults}}{{ notice }}\"></script><script>alert(1)</script>'";

async fn sandbox() -> (Running, reqwest::Client) {
    let run = Running::start(&SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (run, http)
}

fn assert_inert(html: &str, what: &str) {
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "{what}: the value broke out:\n{html}"
    );
    assert!(
        !html.contains("}}\"></script>"),
        "{what}: the quote closed an attribute:\n{html}"
    );
    let shown =
        "{{faults}}{{ notice }}&quot;&gt;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;";
    assert!(
        html.contains(shown),
        "{what}: the value is not shown escaped as it was given ({shown}):\n{html}"
    );
}

#[tokio::test]
async fn hostile_values_are_printed_escaped_never_expanded() {
    let (run, http) = sandbox().await;
    let base = &run.base_url;
    // A callback URL and a fault, through the console's forms.
    let r = http
        .post(format!(
            "{base}/_sandbox/onelink/console/enterprises/{DEMO_APPID}/callback"
        ))
        .form(&[("callback_url", HOSTILE)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = http
        .post(format!("{base}/_sandbox/onelink/console/faults"))
        .form(&[
            ("endpoint", "/nowhere"),
            ("code", HOSTILE),
            ("delay_ms", "0"),
            ("remaining", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // A notice and a card query, through the query string.
    let page = http
        .get(format!("{base}/_sandbox/onelink/"))
        .query(&[("notice", HOSTILE), ("card", HOSTILE)])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_inert(&html, "console");
    // Four places print the value (callback, fault code, notice, card query): each shows the
    // template text as text; none was replaced by the faults table.
    assert!(
        html.matches("{{faults}}{{ notice }}").count() >= 4,
        "a value was expanded:\n{html}"
    );
    run.stop();
}

/// The root is an index page (not an empty 404) linking the console, the admin API and the
/// parts it was given; the icon is served too.
#[tokio::test]
async fn the_root_is_an_index_with_the_links_it_was_given() {
    let (run, http) = sandbox().await;
    run.sandbox.set_links(vec![cmcc_sandbox::pages::Link::new(
        "网关 · <Gateway>",
        "http://127.0.0.1:1/?a=1&b=2",
        "",
    )]);
    let r = http.get(format!("{}/", run.base_url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    for needle in [
        "href=\"/_sandbox/\"",
        "/_sandbox/journal",
        "rel=\"icon\"",
        "网关 · &lt;Gateway&gt;",
        "href=\"http://127.0.0.1:1/?a=1&amp;b=2\"",
        "/NumberAbility/h5/js/jssdk_auth.min.js",
    ] {
        assert!(html.contains(needle), "{needle} missing from:\n{html}");
    }
    let r = http
        .get(format!("{}/favicon.ico", run.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<svg"));
    run.stop();
}

async fn onelink(
    run: &Running,
    http: &reqwest::Client,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    http.post(format!("{}{path}", run.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The one console shows both platforms: the device and apps of the auth platform, OneLink's
/// cards, registrations and pushes, and one journal in which OneLink's refusals (12012, a bad
/// card id) are explained in words, in China time to the second, the raw JSON behind a click.
/// The two old console addresses answer the same page.
#[tokio::test]
async fn one_console_for_both_platforms_with_refusals_explained() {
    use cmcc_sandbox::onelink::config::DEMO_PASSWORD;
    let (run, http) = sandbox().await;
    let transid = || {
        format!(
            "{DEMO_APPID}20241021093000{:08}",
            rand::random::<u32>() % 100_000_000
        )
    };
    let v = onelink(
        &run,
        &http,
        "/v5/ec/get/token",
        serde_json::json!({"appid": DEMO_APPID, "password": DEMO_PASSWORD, "transid": transid()}),
    )
    .await;
    let token = v["result"][0]["token"].as_str().unwrap().to_owned();
    let reg = |card: &str| serde_json::json!({"transid": transid(), "token": token, "msisdn": card, "urlType": "6"});
    let path = "/v5/ec/secure/sim-real-name-reg";
    assert_eq!(
        onelink(&run, &http, path, reg("1440000000001")).await["status"],
        "0"
    );
    assert_eq!(
        onelink(&run, &http, path, reg("1440000000001")).await["status"],
        "12012"
    );
    assert_eq!(
        onelink(&run, &http, path, reg("12ab")).await["status"],
        "12001"
    );
    // The journal records both refusals (the console reads it).
    let journal = run.sandbox.core.journal.recent(10, Some("onelink"));
    assert!(journal.iter().any(|e| e.code == "12012"), "{journal:?}");
    assert!(journal.iter().any(|e| e.code == "12001"), "{journal:?}");

    let mut pages = Vec::new();
    for url in ["/_sandbox/", "/_sandbox/auth/", "/_sandbox/onelink/"] {
        let r = http
            .get(format!("{}{url}", run.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        pages.push(r.text().await.unwrap());
    }
    let html = &pages[0];
    for needle in [
        // Both platforms' sections, bilingual.
        "本浏览器的设备 · This browser's device",
        "认证应用 · Auth apps",
        "300011800001",
        "OneLink 物联卡实名登记",
        "推送地址 · callback URL",
        "故障注入 · Faults",
        "请求日志 · Journal",
        // 12012 in words, from the code table, in both languages.
        "同一卡号同一类型一分钟内仅可调用一次",
        "One registration request per card per urlType per minute.",
        // The bad id's refusal and why.
        "12001",
        "原始 JSON · raw JSON",
        // The registration that was made, its card masked.
        "待提交 · not yet submitted",
    ] {
        assert!(
            html.contains(needle),
            "{needle} missing from the console:\n{html}"
        );
    }
    assert!(
        !html.contains("msisdn=1440000000001"),
        "the card is not masked"
    );
    // China time to the second, no UTC instants with nanoseconds outside the raw JSON.
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    let minute = now.format("%Y-%m-%d %H:").to_string();
    assert!(
        html.contains(&minute),
        "no China time {minute}… in the console"
    );
    let words: String = html
        .split("<pre>")
        .map(|part| part.split_once("</pre>").map_or(part, |(_, after)| after))
        .collect();
    assert!(
        !words.contains(&chrono::Utc::now().format("%Y-%m-%dT").to_string()),
        "a raw UTC timestamp outside the raw JSON"
    );
    // The old addresses answer the same console (its journal has grown by nothing but pages).
    for p in &pages[1..] {
        assert!(p.contains("请求日志 · Journal") && p.contains("认证应用 · Auth apps"));
    }
    // Filtered to one platform.
    let auth_only = http
        .get(format!("{}/_sandbox/?platform=auth", run.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!auth_only.contains("同一卡号同一类型一分钟内仅可调用一次"));
    run.stop();
}

/// The console's forms: choose this browser's device (the cookie the endpoints read), save an
/// app, move the clock, queue and clear faults; each comes back to the console with a notice.
#[tokio::test]
async fn console_forms_for_device_apps_clock_and_faults() {
    let (run, http) = sandbox().await;
    let base = &run.base_url;
    let r = http
        .post(format!("{base}/_sandbox/auth/console/device"))
        .form(&[("id", "cmcc-4g")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("cmcc_sandbox_device=cmcc-4g;"),
        "{cookie}"
    );
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("#device"));
    let r = http
        .post(format!("{base}/_sandbox/auth/console/device"))
        .form(&[("id", "no-such")])
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("set-cookie").is_none());
    let page = http
        .get(format!("{base}/_sandbox/"))
        .header("cookie", "cmcc_sandbox_device=cmcc-4g")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<b id=\"selected\">cmcc-4g</b>"), "{page}");

    let app = r#"{"app_id":"300011800009","app_key":"0123456789ABCDEF0123456789ABCDEF","customer_public_key":""}"#;
    let r = http
        .post(format!("{base}/_sandbox/auth/console/apps"))
        .form(&[("json", app)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(run.sandbox.auth.app("300011800009").is_some());
    let r = http
        .post(format!("{base}/_sandbox/auth/console/apps"))
        .form(&[("json", "{not json")])
        .send()
        .await
        .unwrap();
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("notice="));

    let before = run.sandbox.core.clock.now();
    let r = http
        .post(format!("{base}/_sandbox/console/clock"))
        .form(&[("seconds", "3600")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(run.sandbox.core.clock.now() - before >= chrono::Duration::seconds(3600));
    let r = http
        .post(format!("{base}/_sandbox/console/clock"))
        .form(&[("seconds", "soon")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let r = http
        .post(format!("{base}/_sandbox/console/faults"))
        .form(&[
            ("endpoint", "/NumberAbility/h5/verifyVmMobileApi.htm"),
            ("code", "999999"),
            ("delay_ms", ""),
            ("remaining", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(run.sandbox.core.faults.list()[0].remaining, 2);
    let r = http
        .post(format!("{base}/_sandbox/console/faults"))
        .form(&[("endpoint", "no-slash"), ("code", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        run.sandbox.core.faults.list().len(),
        1,
        "a bad endpoint was queued"
    );
    http.post(format!("{base}/_sandbox/console/faults/clear"))
        .send()
        .await
        .unwrap();
    assert!(run.sandbox.core.faults.list().is_empty());
    run.stop();
}

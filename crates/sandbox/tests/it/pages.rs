//! The pages are templates, not string replacement: a value is printed as data wherever it comes
//! from (a form, a query, the state), escaped for HTML, never expanded as template text.

use cmcc_proto::wire::onelink::REAL_NAME_REG_PATH;
use cmcc_proto::wire::passport::VERIFY_VM_MOBILE_PATH;
use cmcc_testkit::{Sandbox, DEMO_ENTERPRISE};

use crate::support::onelink::{console_fault, post, token, transid, FRESH};
use crate::support::{get_text, header, no_redirect, post_form};

/// Template text, a script break-out and a quote, all in one value.
const HOSTILE: &str = "{{faults}}{{ notice }}\"></script><script>alert(1)</script>'";

async fn sandbox() -> (Sandbox, reqwest::Client) {
    (cmcc_testkit::spawn_sandbox().await, no_redirect())
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
    let r = post_form(
        &http,
        &format!("{base}/_sandbox/onelink/console/enterprises/{DEMO_ENTERPRISE}/callback"),
        &[("callback_url", HOSTILE)],
    )
    .await;
    assert_eq!(r.status(), 303, "the callback");
    let r = console_fault(&http, &run, "/nowhere", HOSTILE).await;
    assert_eq!(r.status(), 303, "the fault");
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
    let html = cmcc_testkit::get_html(&http, &format!("{}/", run.base_url)).await;
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

/// The one console shows both platforms: the device and apps of the auth platform, OneLink's
/// cards, registrations and pushes, and one journal in which OneLink's refusals (12012, a bad
/// card id) are explained in words, in China time to the second, the raw JSON behind a click.
/// The two old console addresses answer the same page.
#[tokio::test]
async fn one_console_for_both_platforms_with_refusals_explained() {
    let (run, http) = sandbox().await;
    let token = token(&run).await;
    for (what, card, want) in [
        ("a link", FRESH, "0"),
        ("the same card within the minute", FRESH, "12012"),
        ("a bad card id", "12ab", "12001"),
    ] {
        let v = post(
            &run,
            REAL_NAME_REG_PATH,
            &serde_json::json!({"transid": transid(DEMO_ENTERPRISE), "token": token, "msisdn": card, "urlType": "6"}),
        )
        .await;
        assert_eq!(v["status"], want, "{what}: {v}");
    }
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
        !html.contains(&format!("msisdn={FRESH}")),
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
    let auth_only = get_text(&http, &format!("{}/_sandbox/?platform=auth", run.base_url)).await;
    assert!(!auth_only.contains("同一卡号同一类型一分钟内仅可调用一次"));
    run.stop();
}

/// The console's forms: choose this browser's device (the cookie the endpoints read), save an
/// app, move the clock, queue and clear faults; each comes back to the console with a notice.
#[tokio::test]
async fn console_forms_for_device_apps_clock_and_faults() {
    let (run, http) = sandbox().await;
    let base = &run.base_url;
    let url = |path: &str| format!("{base}{path}");
    let device = url("/_sandbox/auth/console/device");
    let r = post_form(&http, &device, &[("id", "cmcc-4g")]).await;
    assert_eq!(r.status(), 303);
    let cookie = header(&r, "set-cookie");
    assert!(
        cookie.starts_with("cmcc_sandbox_device=cmcc-4g;"),
        "{cookie}"
    );
    assert!(header(&r, "location").ends_with("#device"));
    let r = post_form(&http, &device, &[("id", "no-such")]).await;
    assert!(r.headers().get("set-cookie").is_none());
    let page = http
        .get(url("/_sandbox/"))
        .header("cookie", "cmcc_sandbox_device=cmcc-4g")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<b id=\"selected\">cmcc-4g</b>"), "{page}");

    let apps = url("/_sandbox/auth/console/apps");
    let app = r#"{"app_id":"300011800009","app_key":"0123456789ABCDEF0123456789ABCDEF","customer_public_key":""}"#;
    let r = post_form(&http, &apps, &[("json", app)]).await;
    assert_eq!(r.status(), 303);
    assert!(run.sandbox.auth.app("300011800009").is_some());
    let r = post_form(&http, &apps, &[("json", "{not json")]).await;
    assert!(header(&r, "location").contains("notice="));

    // A number of seconds moves the clock; anything else comes back with a notice.
    let before = run.sandbox.core.clock.now();
    for seconds in ["3600", "soon"] {
        let r = post_form(
            &http,
            &url("/_sandbox/console/clock"),
            &[("seconds", seconds)],
        )
        .await;
        assert_eq!(r.status(), 303, "{seconds}");
    }
    assert!(run.sandbox.core.clock.now() - before >= chrono::Duration::seconds(3600));

    let faults = url("/_sandbox/console/faults");
    let r = post_form(
        &http,
        &faults,
        &[
            ("endpoint", VERIFY_VM_MOBILE_PATH),
            ("code", "999999"),
            ("delay_ms", ""),
            ("remaining", "2"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(run.sandbox.core.faults.list()[0].remaining, 2);
    let r = post_form(&http, &faults, &[("endpoint", "no-slash"), ("code", "1")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        run.sandbox.core.faults.list().len(),
        1,
        "a bad endpoint was queued"
    );
    http.post(url("/_sandbox/console/faults/clear"))
        .send()
        .await
        .unwrap();
    assert!(run.sandbox.core.faults.list().is_empty());
    run.stop();
}

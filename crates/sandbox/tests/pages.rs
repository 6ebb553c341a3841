//! The pages are templates, not string replacement: a value is printed as data wherever it comes
//! from (a form, a query, the state), escaped for HTML, never expanded as template text.

#![expect(clippy::unwrap_used, reason = "tests")]

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
    for shown in [
        "{{faults}}{{ notice }}&quot;&gt;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;",
    ] {
        assert!(
            html.contains(shown),
            "{what}: the value is not shown escaped as it was given ({shown}):\n{html}"
        );
    }
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

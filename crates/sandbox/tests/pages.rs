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

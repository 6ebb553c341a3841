//! The registration page and the result push over real HTTP: the form drives a registration
//! through to the push at a local receiver; slow, refusing, non-JSON and dead receivers; the
//! delivery log and manual redeliver.
//!
//! Real time throughout: every attempt is an HTTP exchange with a loopback receiver, raced by
//! the dispatcher's `tokio::time::timeout`; a paused clock would jump to that timeout whenever
//! the runtime waits for the socket, and the slow receiver's latency is measured on the
//! wall clock. The waits are short instead (300 ms timeout, 20 ms between resends).

use std::time::Duration;

use cmcc_sandbox::onelink::config::PushConfig;
use cmcc_sandbox::onelink::{OneLinkConfig, MINI_PATH};
use cmcc_testkit::{Sandbox, DEMO_ENTERPRISE, DEMO_PASSWORD};
use serde_json::{json, Value};

use crate::support::onelink::{
    complete, dead_url, get, link, post, settled, token, Answer, Receiver, FAILS, FRESH,
};
use crate::support::{no_redirect, post_form};

async fn start(callback: Option<String>) -> Sandbox {
    crate::support::onelink::start(OneLinkConfig {
        demo_callback_url: callback,
        push: PushConfig {
            timeout_ms: 300,
            resend_interval_ms: 20,
            ..Default::default()
        },
        ..Default::default()
    })
    .await
}

/// A link for `card` (urlType `url_type`) of a sandbox pushing to `callback`.
async fn sandbox_and_link(
    callback: Option<String>,
    card: &str,
    url_type: &str,
) -> (Sandbox, Value) {
    let sb = start(callback).await;
    let tok = token(&sb).await;
    let r = link(&sb, &tok, card, url_type).await;
    (sb, r)
}

/// A sandbox pushing to `callback`, and the settled push of `card`'s completed registration.
async fn pushed(callback: Option<String>, card: &str) -> (Sandbox, String, Value) {
    let (sb, r) = sandbox_and_link(callback, card, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap().to_owned();
    complete(&sb, &busi_seq, "pass").await;
    let p = settled(&sb, &busi_seq).await;
    (sb, busi_seq, p)
}

/// Pull `name="value"` attributes of a form field out of the page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

fn form_action(html: &str) -> String {
    let marker = "action=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Submit the registration page's form: status and page.
async fn submit_page(http: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let r = post_form(http, url, fields).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_h5_form_drives_a_registration_through_to_the_push() {
    let got = Receiver::start(Answer::Ok).await;
    let (sb, r) = sandbox_and_link(Some(got.url.clone()), FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    let page_url = format!("{}?para1=p1&para2=%E4%B8%AD", r["url"].as_str().unwrap());
    let http = cmcc_testkit::http();
    let page = http.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<form")
            && html.contains("name=\"resident_id\"")
            && html.contains("活体检测")
    );
    assert!(html.contains("viewport"));
    let action = format!("{}{}", sb.base_url, form_action(&html));
    let custom = hidden(&html, "custom");

    // A wrong check digit is refused on the page, nothing is pushed; then the right one.
    for (what, resident_id, want_status, want_texts) in [
        (
            "a wrong check digit",
            "110105194912310021",
            422,
            &["身份证号码有误"][..],
        ),
        (
            "a lower-case x",
            "11010519491231002x",
            200,
            &["实名登记成功", "para1"][..],
        ),
    ] {
        let (status, page) = submit_page(
            &http,
            &action,
            &[
                ("name", "王五"),
                ("resident_id", resident_id),
                ("liveness", "pass"),
                ("custom", custom.as_str()),
            ],
        )
        .await;
        assert_eq!(status, want_status, "{what}: {page}");
        for text in want_texts {
            assert!(page.contains(text), "{what}: no {text} in {page}");
        }
    }

    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "delivered");
    assert_eq!(p["attempts"].as_array().unwrap().len(), 1);
    let bodies = got.bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0],
        json!({"status": "0", "message": "正确", "result": [{
            "regStatus": "1", "regMsg": "实名登记成功", "busiSeq": busi_seq,
            "msisdn": FRESH, "para1": "p1", "para2": "中"
        }]})
    );
    // The page now shows the outcome; a second submit changes nothing.
    let (status, _) = submit_page(
        &http,
        &action,
        &[
            ("name", "王五"),
            ("resident_id", "11010519491231002X"),
            ("liveness", "fail"),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(got.count(), 1);
}

#[tokio::test]
async fn the_mini_program_stand_in_checks_its_parameters() {
    let got = Receiver::start(Answer::Ok).await;
    let (sb, r) = sandbox_and_link(Some(got.url.clone()), FRESH, "3").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    let query = r["url"].as_str().unwrap();
    let http = cmcc_testkit::http();
    let mini = format!("{}{MINI_PATH}", sb.base_url);
    // Percent-encode the query values so '+' in the signature survives.
    let m: cmcc_proto::format::MiniParam = serde_json::from_value(r["miniParam"].clone()).unwrap();
    assert_eq!(m.to_url(), query);
    let q = |sig: &str, txn: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("requestSource", &m.request_source)
            .append_pair("transactionID", txn)
            .append_pair("param", &m.param)
            .append_pair("signature", sig)
            .append_pair("orderNo", "A-17")
            .finish()
    };
    for (what, query, want) in [
        ("a forged signature", q("AAAA", &m.transaction_id), 403),
        ("another transactionID", q(&m.signature, "1551"), 403),
        ("missing parameters", "param=x".to_owned(), 400),
    ] {
        let r = http.get(format!("{mini}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), want, "{what}");
    }
    let page = http
        .get(format!("{mini}?{}", q(&m.signature, &m.transaction_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("小程序"));
    let custom = hidden(&html, "custom");
    assert_eq!(custom, "orderNo=A-17");
    let (_, done) = submit_page(
        &http,
        &format!("{}{}", sb.base_url, form_action(&html)),
        &[
            ("name", "赵六"),
            ("resident_id", "11010519491231002X"),
            ("liveness", "fail"),
            ("custom", custom.as_str()),
        ],
    )
    .await;
    assert!(done.contains("活体检测未通过"));
    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "delivered");
    let body = got.bodies()[0].clone();
    assert_eq!(body["result"][0]["regStatus"], "0");
    assert_eq!(body["result"][0]["regMsg"], "活体检测未通过");
    assert_eq!(body["result"][0]["orderNo"], "A-17");
}

#[tokio::test]
async fn a_magic_failing_card_pushes_failure() {
    let got = Receiver::start(Answer::Ok).await;
    pushed(Some(got.url.clone()), FAILS).await;
    assert_eq!(got.bodies()[0]["result"][0]["regStatus"], "0");
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_gets_resends() {
    // Answers after 500 ms; the timeout is 300 ms: every attempt times out.
    let got = Receiver::start(Answer::Slow(Duration::from_millis(500))).await;
    let (_sb, _, p) = pushed(Some(got.url.clone()), FRESH).await;
    assert_eq!(p["state"], "gave_up");
    let attempts = p["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4, "first send + 3 resends");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["outcome"], "timeout");
        assert_eq!(a["resend"], i);
        assert!(a["latency_ms"].as_u64().unwrap() >= 290);
    }
    assert_eq!(got.count(), 4);
}

#[tokio::test]
async fn a_receiver_answering_status_not_0_or_not_json_gets_resends() {
    for (answer, outcome) in [
        (Answer::Status1, "status_not_0"),
        (Answer::NotJson, "not_json"),
    ] {
        let got = Receiver::start(answer).await;
        let (_sb, _, p) = pushed(Some(got.url.clone()), FRESH).await;
        assert_eq!(p["state"], "gave_up", "{outcome}");
        let attempts = p["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 4, "{outcome}");
        assert!(
            attempts
                .iter()
                .all(|a| a["outcome"] == outcome && a["http_status"] == 200),
            "{outcome}: {p}"
        );
        let bodies = got.bodies();
        assert_eq!(bodies.len(), 4, "{outcome}");
        assert!(
            bodies.iter().all(|b| b == &bodies[0]),
            "{outcome}: resends carry the same body"
        );
    }
}

#[tokio::test]
async fn a_dead_receiver_is_given_up_after_3_resends_and_can_be_redelivered() {
    let (sb, busi_seq, p) = pushed(Some(dead_url()), FRESH).await;
    assert_eq!(p["state"], "gave_up");
    assert_eq!(p["attempts"].as_array().unwrap().len(), 4);
    assert!(p["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["outcome"] == "error"));

    // The enterprise fixes its receiver; a manual redeliver succeeds in round 2.
    let got = Receiver::start(Answer::Ok).await;
    let v = post(
        &sb,
        "/_sandbox/onelink/enterprises",
        &json!({"appid": DEMO_ENTERPRISE, "callbackUrl": got.url}),
    )
    .await;
    assert_eq!(v["appid"], DEMO_ENTERPRISE);
    let id = p["id"].as_u64().unwrap();
    let r = cmcc_testkit::http()
        .post(format!(
            "{}/_sandbox/onelink/pushes/{id}/redeliver",
            sb.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let p = settled(&sb, &busi_seq).await;
    assert_eq!(p["state"], "delivered");
    assert_eq!(p["rounds"], 2);
    let last = p["attempts"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["round"].clone(), last["outcome"].clone()),
        (json!(2), json!("ok"))
    );
    assert_eq!(got.count(), 1);
}

#[tokio::test]
async fn no_callback_then_console_redeliver() {
    let (sb, busi_seq, p) = pushed(None, FRESH).await;
    assert_eq!(p["state"], "no_callback");
    // Through the console's plain forms.
    let got = Receiver::start(Answer::Ok).await;
    let http = no_redirect();
    let id = p["id"].as_u64().unwrap();
    for (what, path, fields) in [
        (
            "set the callback",
            format!("/_sandbox/onelink/console/enterprises/{DEMO_ENTERPRISE}/callback"),
            &[("callback_url", got.url.as_str())][..],
        ),
        (
            "redeliver",
            format!("/_sandbox/onelink/console/pushes/{id}/redeliver"),
            &[][..],
        ),
    ] {
        let r = post_form(&http, &format!("{}{path}", sb.base_url), fields).await;
        assert_eq!(r.status(), 303, "{what}");
    }
    assert_eq!(settled(&sb, &busi_seq).await["state"], "delivered");
    assert_eq!(got.count(), 1);
    let console = http
        .get(format!("{}/_sandbox/onelink/", sb.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 200);
    let html = console.text().await.unwrap();
    assert!(html.contains(&busi_seq) && html.contains("重新推送") && html.contains(FRESH));
}

#[tokio::test]
async fn admin_api_lists_and_generates() {
    let sb = start(None).await;
    let v = post(
        &sb,
        "/_sandbox/onelink/cards/generate",
        &json!({"appid": DEMO_ENTERPRISE, "count": 100}),
    )
    .await;
    assert_eq!(v["generated"], 100);
    let first = v["first"]["msisdn"].as_str().unwrap().to_owned();
    let imsi = v["first"]["imsi"].as_str().unwrap();
    let card = get(&sb, &format!("/_sandbox/onelink/cards/{imsi}")).await;
    assert_eq!(card["msisdn"], first.as_str());
    let list = get(&sb, "/_sandbox/onelink/cards?limit=5").await;
    assert_eq!(list["cards"].as_array().unwrap().len(), 5);
    let es = get(&sb, "/_sandbox/onelink/enterprises").await;
    assert!(!es.to_string().contains(DEMO_PASSWORD));
    let card = |iccid: &str, imsi: &str| json!({"appid": DEMO_ENTERPRISE, "msisdn": "1440123456789", "iccid": iccid, "imsi": imsi});
    let added = post(
        &sb,
        "/_sandbox/onelink/cards",
        &card("898604D0000000000001", "460041234567890"),
    )
    .await;
    assert_eq!(added["registered"], false, "{added}");
    let dup = post(
        &sb,
        "/_sandbox/onelink/cards",
        &card("898604D0000000000002", "460041234567891"),
    )
    .await;
    assert!(dup["error"].is_string(), "the same msisdn again: {dup}");
    let journal = get(&sb, "/_sandbox/onelink/journal").await;
    assert!(journal.is_array());
    assert!(sb.sandbox.describe().contains(DEMO_ENTERPRISE));
}

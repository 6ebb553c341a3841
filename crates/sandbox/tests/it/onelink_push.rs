//! The registration page and the result push over real HTTP: the form drives a registration
//! through to the push at a local receiver; slow, refusing, non-JSON and dead receivers; the
//! delivery log and manual redeliver.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use cmcc_sandbox::onelink::config::{PushConfig, DEMO_APPID, DEMO_PASSWORD};
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_sandbox::{Running, SandboxConfig};
use parking_lot::Mutex;
use serde_json::{json, Value};

const FRESH: &str = "1440000000001";
const FAILS: &str = "1440000000003";

/// How the local push receiver answers.
#[derive(Clone, Copy)]
enum Answer {
    Ok,
    Slow(u64),
    Status1,
    NotJson,
}

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Value>>>);

/// A receiver on a free port; it records every body and answers as told.
async fn receiver(answer: Answer) -> (String, Received) {
    let got = Received::default();
    let g = got.clone();
    let app = Router::new().route(
        "/push",
        post(move |body: String| {
            let g = g.clone();
            async move {
                g.0.lock()
                    .push(serde_json::from_str(&body).unwrap_or(Value::Null));
                match answer {
                    Answer::Ok => r#"{"status":"0","message":"ok"}"#.to_owned(),
                    Answer::Slow(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        r#"{"status":"0","message":"ok"}"#.to_owned()
                    }
                    Answer::Status1 => r#"{"status":"1","message":"busy"}"#.to_owned(),
                    Answer::NotJson => "OK".to_owned(),
                }
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, got)
}

fn fast_push() -> PushConfig {
    PushConfig {
        timeout_ms: 300,
        resend_interval_ms: 20,
        ..Default::default()
    }
}

async fn start(callback: Option<String>) -> Running {
    let config = SandboxConfig {
        onelink: OneLinkConfig {
            demo_callback_url: callback,
            push: fast_push(),
            ..Default::default()
        },
        ..Default::default()
    };
    Running::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn post_json(sb: &Running, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sb.base_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn link(sb: &Running, msisdn: &str, url_type: &str) -> Value {
    let tok = post_json(
        sb,
        "/v5/ec/get/token",
        json!({"appid": DEMO_APPID, "password": DEMO_PASSWORD, "transid": "t"}),
    )
    .await;
    let tok = tok["result"][0]["token"].as_str().unwrap().to_owned();
    let v = post_json(
        sb,
        "/v5/ec/secure/sim-real-name-reg",
        json!({"transid": "t", "token": tok, "msisdn": msisdn, "urlType": url_type}),
    )
    .await;
    assert_eq!(v["status"], "0", "{v}");
    v["result"][0].clone()
}

/// Wait until the push of `busi_seq` reaches a final state; returns its log entry.
async fn settled(sb: &Running, busi_seq: &str) -> Value {
    for _ in 0..300 {
        let v: Value = reqwest::get(format!("{}/_sandbox/onelink/pushes", sb.base_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(p) = v["pushes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["busi_seq"] == busi_seq)
        {
            if !matches!(p["state"].as_str(), Some("queued" | "delivering")) {
                return p.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("push of {busi_seq} never settled");
}

async fn complete(sb: &Running, busi_seq: &str, liveness: &str) {
    let v = post_json(
        sb,
        &format!("/_sandbox/onelink/registrations/{busi_seq}/complete"),
        json!({"name": "李四", "residentId": "11010519491231002X", "liveness": liveness}),
    )
    .await;
    assert!(v["outcome"].is_object(), "{v}");
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

#[tokio::test]
async fn the_h5_form_drives_a_registration_through_to_the_push() {
    let (url, got) = receiver(Answer::Ok).await;
    let sb = start(Some(url)).await;
    let r = link(&sb, FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    let page_url = format!("{}?para1=p1&para2=%E4%B8%AD", r["url"].as_str().unwrap());
    let http = reqwest::Client::new();
    let page = http.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<form")
            && html.contains("name=\"resident_id\"")
            && html.contains("活体检测")
    );
    assert!(html.contains("viewport"));
    let action = form_action(&html);
    let custom = hidden(&html, "custom");

    // A wrong check digit is refused on the page, nothing is pushed.
    let bad = http
        .post(format!("{}{action}", sb.base_url))
        .form(&[
            ("name", "王五"),
            ("resident_id", "110105194912310021"),
            ("liveness", "pass"),
            ("custom", custom.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("身份证号码有误"));

    let ok = http
        .post(format!("{}{action}", sb.base_url))
        .form(&[
            ("name", "王五"),
            ("resident_id", "11010519491231002x"),
            ("liveness", "pass"),
            ("custom", custom.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let done = ok.text().await.unwrap();
    assert!(done.contains("实名登记成功"), "{done}");
    assert!(done.contains("para1"));

    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "delivered");
    assert_eq!(p["attempts"].as_array().unwrap().len(), 1);
    let bodies = got.0.lock().clone();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0],
        json!({"status": "0", "message": "正确", "result": [{
            "regStatus": "1", "regMsg": "实名登记成功", "busiSeq": busi_seq,
            "msisdn": FRESH, "para1": "p1", "para2": "中"
        }]})
    );
    // The page now shows the outcome; a second submit changes nothing.
    let again = http
        .post(format!("{}{action}", sb.base_url))
        .form(&[
            ("name", "王五"),
            ("resident_id", "11010519491231002X"),
            ("liveness", "fail"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(got.0.lock().len(), 1);
}

#[tokio::test]
async fn the_mini_program_stand_in_checks_its_parameters() {
    let (url, got) = receiver(Answer::Ok).await;
    let sb = start(Some(url)).await;
    let r = link(&sb, FRESH, "3").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    let query = r["url"].as_str().unwrap();
    let http = reqwest::Client::new();
    let mini = format!("{}/onelink/mini/pages/sc-verify2/sc-verify", sb.base_url);
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
    let forged = http
        .get(format!("{mini}?{}", q("AAAA", &m.transaction_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let wrong_txn = http
        .get(format!("{mini}?{}", q(&m.signature, "1551")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_txn.status(), 403);
    let missing = http.get(format!("{mini}?param=x")).send().await.unwrap();
    assert_eq!(missing.status(), 400);
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
    let done = http
        .post(format!("{}{}", sb.base_url, form_action(&html)))
        .form(&[
            ("name", "赵六"),
            ("resident_id", "11010519491231002X"),
            ("liveness", "fail"),
            ("custom", custom.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(done.text().await.unwrap().contains("活体检测未通过"));
    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "delivered");
    let body = got.0.lock()[0].clone();
    assert_eq!(body["result"][0]["regStatus"], "0");
    assert_eq!(body["result"][0]["regMsg"], "活体检测未通过");
    assert_eq!(body["result"][0]["orderNo"], "A-17");
}

#[tokio::test]
async fn a_magic_failing_card_pushes_failure() {
    let (url, got) = receiver(Answer::Ok).await;
    let sb = start(Some(url)).await;
    let r = link(&sb, FAILS, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    complete(&sb, busi_seq, "pass").await;
    settled(&sb, busi_seq).await;
    assert_eq!(got.0.lock()[0]["result"][0]["regStatus"], "0");
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_gets_resends() {
    // Answers after 500 ms; the timeout is 300 ms: every attempt times out.
    let (url, got) = receiver(Answer::Slow(500)).await;
    let sb = start(Some(url)).await;
    let r = link(&sb, FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    complete(&sb, busi_seq, "pass").await;
    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "gave_up");
    let attempts = p["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4, "first send + 3 resends");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["outcome"], "timeout");
        assert_eq!(a["resend"], i);
        assert!(a["latency_ms"].as_u64().unwrap() >= 290);
    }
    assert_eq!(got.0.lock().len(), 4);
}

#[tokio::test]
async fn a_receiver_answering_status_not_0_or_not_json_gets_resends() {
    for (answer, outcome) in [
        (Answer::Status1, "status_not_0"),
        (Answer::NotJson, "not_json"),
    ] {
        let (url, got) = receiver(answer).await;
        let sb = start(Some(url)).await;
        let r = link(&sb, FRESH, "6").await;
        let busi_seq = r["busiSeq"].as_str().unwrap();
        complete(&sb, busi_seq, "pass").await;
        let p = settled(&sb, busi_seq).await;
        assert_eq!(p["state"], "gave_up");
        let attempts = p["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 4);
        assert!(attempts
            .iter()
            .all(|a| a["outcome"] == outcome && a["http_status"] == 200));
        let bodies = got.0.lock().clone();
        assert_eq!(bodies.len(), 4);
        assert!(
            bodies.iter().all(|b| b == &bodies[0]),
            "resends carry the same body"
        );
    }
}

#[tokio::test]
async fn a_dead_receiver_is_given_up_after_3_resends_and_can_be_redelivered() {
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/push", l.local_addr().unwrap())
    };
    let sb = start(Some(dead)).await;
    let r = link(&sb, FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    complete(&sb, busi_seq, "pass").await;
    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "gave_up");
    assert_eq!(p["attempts"].as_array().unwrap().len(), 4);
    assert!(p["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["outcome"] == "error"));

    // The enterprise fixes its receiver; a manual redeliver succeeds in round 2.
    let (url, got) = receiver(Answer::Ok).await;
    let v = post_json(
        &sb,
        "/_sandbox/onelink/enterprises",
        json!({"appid": DEMO_APPID, "callbackUrl": url}),
    )
    .await;
    assert_eq!(v["appid"], DEMO_APPID);
    let id = p["id"].as_u64().unwrap();
    let r = reqwest::Client::new()
        .post(format!(
            "{}/_sandbox/onelink/pushes/{id}/redeliver",
            sb.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "delivered");
    assert_eq!(p["rounds"], 2);
    let last = p["attempts"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["round"].clone(), last["outcome"].clone()),
        (json!(2), json!("ok"))
    );
    assert_eq!(got.0.lock().len(), 1);
}

#[tokio::test]
async fn no_callback_then_console_redeliver() {
    let sb = start(None).await;
    let r = link(&sb, FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    complete(&sb, busi_seq, "pass").await;
    let p = settled(&sb, busi_seq).await;
    assert_eq!(p["state"], "no_callback");
    // Through the console's plain forms.
    let (url, got) = receiver(Answer::Ok).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let set = http
        .post(format!(
            "{}/_sandbox/onelink/console/enterprises/{DEMO_APPID}/callback",
            sb.base_url
        ))
        .form(&[("callback_url", url.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303);
    let id = p["id"].as_u64().unwrap();
    let again = http
        .post(format!(
            "{}/_sandbox/onelink/console/pushes/{id}/redeliver",
            sb.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    assert_eq!(settled(&sb, busi_seq).await["state"], "delivered");
    assert_eq!(got.0.lock().len(), 1);
    let console = http
        .get(format!("{}/_sandbox/onelink/", sb.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 200);
    let html = console.text().await.unwrap();
    assert!(html.contains(busi_seq) && html.contains("重新推送") && html.contains(FRESH));
}

#[tokio::test]
async fn admin_api_lists_and_generates() {
    let sb = start(None).await;
    let v = post_json(
        &sb,
        "/_sandbox/onelink/cards/generate",
        json!({"appid": DEMO_APPID, "count": 100}),
    )
    .await;
    assert_eq!(v["generated"], 100);
    let first = v["first"]["msisdn"].as_str().unwrap().to_owned();
    let card: Value = reqwest::get(format!(
        "{}/_sandbox/onelink/cards/{}",
        sb.base_url,
        v["first"]["imsi"].as_str().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(card["msisdn"], first.as_str());
    let list: Value = reqwest::get(format!("{}/_sandbox/onelink/cards?limit=5", sb.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["cards"].as_array().unwrap().len(), 5);
    let es: Value = reqwest::get(format!("{}/_sandbox/onelink/enterprises", sb.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!es.to_string().contains(DEMO_PASSWORD));
    let added = post_json(
        &sb,
        "/_sandbox/onelink/cards",
        json!({"appid": DEMO_APPID, "msisdn": "1440123456789", "iccid": "898604D0000000000001", "imsi": "460041234567890"}),
    )
    .await;
    assert_eq!(added["registered"], false);
    let dup = post_json(
        &sb,
        "/_sandbox/onelink/cards",
        json!({"appid": DEMO_APPID, "msisdn": "1440123456789", "iccid": "898604D0000000000002", "imsi": "460041234567891"}),
    )
    .await;
    assert!(dup["error"].is_string());
    let journal: Value = reqwest::get(format!("{}/_sandbox/onelink/journal", sb.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(journal.is_array());
    assert!(sb.sandbox.describe().contains(DEMO_APPID));
}

//! The integration examples of `examples/` (Java, Node, Python, Go, PHP), each run against a real
//! `cmcc up` (free ports, fresh data folder): a number verified through the gateway with a token
//! the sandbox gave a "page", a registration link issued with the API key from the data folder,
//! and the webhook receiver checked with signatures made by the independent `standardwebhooks`
//! PyPI package (valid, tampered body, wrong secret, stale and future timestamps, rotated keys)
//! and with the real thing: `cmcc up --webhook-url` pointed at the backend, a registration
//! completed on the sandbox's page, and the gateway's signed webhook verified by the backend
//! with the secret `cmcc up` wrote.
//!
//! A language whose toolchain is missing is skipped with a notice, except under `CI=true`, where
//! that fails; so is a missing `standardwebhooks` (`./dev test` installs both: `examples_deps`).

mod harness;

use std::process::Command;
use std::time::{Duration, Instant};

use harness::{post, probe, Example, Lang, Signer, Up};
use serde_json::{json, Value};

use crate::support::{free_port, output_within, repo_root, skip};

/// The number of the sandbox device the "page" runs on (seed 004's 4G phone).
const PHONE: &str = "13800138000";
/// A card of the demo enterprise that `cmcc up` generates, unregistered.
const CARD: &str = "1440000001000";
/// Magic card 5: another enterprise's, so OneLink answers 12011.
const FOREIGN_CARD: &str = "1440000000005";

/// (a) The page's token, the number the user typed, the gateway's answer through the backend.
async fn check_verification(up: &Up, ex: &Example, http: &reqwest::Client) -> Vec<String> {
    let url = format!("{}/api/verify", ex.base);
    let (token, ui) = up.page_token(PHONE).await;
    let body = json!({"phone": PHONE, "token": token, "userInformation": ui}).to_string();
    let (s, v) = post(http, &url, &[], &body).await;
    assert_eq!(
        (s, &v),
        (200, &json!({"verified": true, "code": "000"})),
        "{body}"
    );
    // The same token again: the gateway's refusal (120020) reaches the caller whole.
    let (s, v) = post(http, &url, &[], &body).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "120020", "{v}");
    assert!(
        v["error"]["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{v}"
    );
    // Another number typed than the phone's: verified false, code 001.
    let (token2, ui2) = up.page_token(PHONE).await;
    let other = json!({"phone": "13900139000", "token": token2, "userInformation": ui2});
    let (s, v) = post(http, &url, &[], &other.to_string()).await;
    assert_eq!((s, &v), (200, &json!({"verified": false, "code": "001"})));
    // Not JSON, or a field missing: the backend's own error in the same shape.
    let (s, v) = post(http, &url, &[], "{not json").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("bad_json")),
        "{v}"
    );
    let (s, v) = post(http, &url, &[], r#"{"phone":"13800138000"}"#).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("bad_request")));
    vec![token, token2]
}

/// (b) A registration link through the backend, recorded by the gateway; a refusal passed on.
/// Returns the busiSeq and the link.
async fn check_registration(up: &Up, ex: &Example, http: &reqwest::Client) -> (String, String) {
    let url = format!("{}/api/registrations", ex.base);
    let (s, v) = post(http, &url, &[], &json!({"msisdn": CARD}).to_string()).await;
    assert_eq!(s, 200, "{v}");
    let link = v["url"].as_str().unwrap().to_owned();
    let reg_page = format!("{}/onelink/h5/reg/", up.url("sandbox"));
    assert!(link.starts_with(&reg_page), "{v}");
    let busi_seq = v["busiSeq"].as_str().unwrap().to_owned();
    let listed = http
        .get(format!("{}/v1/registrations", up.url("gateway")))
        .bearer_auth(up.file("gateway-api-key"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        listed.to_string().contains(&busi_seq),
        "the gateway has no registration {busi_seq}: {listed}"
    );
    let (s, v) = post(
        http,
        &url,
        &[],
        &json!({"msisdn": FOREIGN_CARD}).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("12011")),
        "{v}"
    );
    let both = json!({"msisdn": CARD, "iccid": "89860424000000001000"});
    let (s, v) = post(http, &url, &[], &both.to_string()).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("bad_request")));
    (busi_seq, link)
}

/// (d) The loop end to end: the card user completes the registration page, OneLink pushes to
/// the gateway, the gateway signs a webhook and sends it to `--webhook-url`, which is this
/// backend: it verifies the signature with the secret `cmcc up` wrote and logs the event.
/// Returns the webhook-id.
async fn check_real_webhook(
    up: &Up,
    ex: &Example,
    http: &reqwest::Client,
    link: &str,
    busi_seq: &str,
) -> String {
    let page = link.split('?').next().unwrap();
    let form = [
        ("name", "张三"),
        ("resident_id", "11010519491231002X"),
        ("liveness", "pass"),
        ("custom", ""),
    ];
    let r = http
        .post(format!("{page}/submit"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the registration page refused the form");
    let deadline = Instant::now() + Duration::from_secs(30);
    let wanted = format!(": registration.registered busiSeq={busi_seq} state=registered");
    let id = loop {
        let out = ex.output();
        if let Some(line) = out.lines().find(|l| {
            l.contains(&wanted) && l.contains("webhook msg_") && !l.contains("msg_examples_")
        }) {
            let at = line.find("webhook msg_").unwrap() + "webhook ".len();
            break line[at..].split(':').next().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no webhook for {busi_seq} reached the backend within 30 s:\n{out}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The gateway saw the receiver accept it (recorded once the receiver's answer is in).
    let event = loop {
        let events = http
            .get(format!(
                "{}/v1/events?busiSeq={busi_seq}",
                up.url("gateway")
            ))
            .bearer_auth(up.file("gateway-api-key"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let event = events["items"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["id"] == id.as_str()))
            .cloned()
            .unwrap_or_else(|| panic!("the gateway has no event {id}: {events}"));
        if event["status"] == "delivered" {
            break event;
        }
        assert!(Instant::now() < deadline, "{event}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(event["deliveries"][0]["httpStatus"], 200, "{event}");
    id
}

/// (c) The webhook receiver against signatures made by `standardwebhooks`. Returns the id of
/// the accepted event.
async fn check_webhooks(
    signer: &Signer,
    secrets: &[String],
    ex: &Example,
    http: &reqwest::Client,
    busi_seq: &str,
) -> String {
    let url = format!("{}/webhooks/cmcc", ex.base);
    let id = format!("msg_examples_{}", std::process::id());
    let now = chrono::Utc::now().timestamp();
    let event = json!({
        "type": "registration.registered",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"busiSeq": busi_seq, "cardField": "msisdn", "msisdn": CARD,
                 "state": "registered", "regStatus": "1", "regMsg": "成功"},
    })
    .to_string();
    let (right, wrong) = (secrets[0].as_str(), secrets[1].as_str());
    let sigs = signer.sign(&[
        (right, &id, now, &event),
        (wrong, &id, now, &event),
        (right, &id, now - 600, &event),
        (right, &id, now + 600, &event),
    ]);
    let send = |sig: String, ts: i64, body: String| {
        let url = url.clone();
        let id = id.clone();
        async move {
            let ts = ts.to_string();
            let headers = [
                ("webhook-id", id.as_str()),
                ("webhook-timestamp", ts.as_str()),
                ("webhook-signature", sig.as_str()),
            ];
            post(http, &url, &headers, &body).await
        }
    };
    let refused = |(s, v): (u16, Value), code: &str, case: &str| {
        assert_eq!(s, 401, "{case}: {v}");
        assert_eq!(v["error"]["code"], code, "{case}: {v}");
    };
    let (s, v) = send(sigs[0].clone(), now, event.clone()).await;
    assert_eq!(
        (s, &v),
        (200, &json!({ "received": id })),
        "genuine webhook"
    );
    let tampered = event.replace("\"registered\"", "\"failed\"");
    assert_ne!(tampered, event);
    refused(
        send(sigs[0].clone(), now, tampered).await,
        "bad_signature",
        "tampered body",
    );
    refused(
        send(sigs[1].clone(), now, event.clone()).await,
        "bad_signature",
        "wrong secret",
    );
    refused(
        send(sigs[2].clone(), now - 600, event.clone()).await,
        "stale_timestamp",
        "10 min old",
    );
    refused(
        send(sigs[3].clone(), now + 600, event.clone()).await,
        "stale_timestamp",
        "10 min ahead",
    );
    // A genuine signature for another timestamp than the header's.
    refused(
        send(sigs[0].clone(), now - 1, event.clone()).await,
        "bad_signature",
        "moved timestamp",
    );
    // Key rotation: a sender lists one signature per key; one valid signature is enough.
    let rotated = format!("{} {}", sigs[1], sigs[0]);
    let (s, _) = send(rotated, now, event.clone()).await;
    assert_eq!(s, 200, "a list of signatures with one valid");
    let (s, v) = post(http, &url, &[], &event).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("missing_headers"))
    );
    id
}

/// A body over 64 KiB is refused unread; with the gateway gone, the backend says so in the
/// error shape (502 `gateway_unreachable`) instead of hanging or failing empty.
async fn check_limits_and_outage(up: &mut Up, ex: &Example, http: &reqwest::Client) {
    let verify = format!("{}/api/verify", ex.base);
    let big = json!({"phone": PHONE, "token": "t".repeat(70 * 1024), "userInformation": "u"});
    let (s, v) = post(http, &verify, &[], &big.to_string()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (413, Some("too_large")),
        "{v}"
    );
    up.stop();
    let body = json!({"phone": PHONE, "token": "t", "userInformation": "u"}).to_string();
    let (s, v) = post(http, &verify, &[], &body).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (502, Some("gateway_unreachable")),
        "{v}"
    );
    let card = json!({ "msisdn": CARD }).to_string();
    let (s, v) = post(http, &format!("{}/api/registrations", ex.base), &[], &card).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (502, Some("gateway_unreachable")),
        "{v}"
    );
}

async fn run(lang: Lang) {
    let what = format!("the {} example", lang.name());
    if let Some(why) = lang.missing() {
        return skip(&what, &why);
    }
    let signer = match Signer::find() {
        Ok(s) => s,
        Err(why) => return skip(&what, &why),
    };
    // The backend's port first: `cmcc up` sends its webhooks there.
    let port = free_port();
    let mut up = Up::start(Some(&format!("http://127.0.0.1:{port}/webhooks/cmcc")));
    // The secret `cmcc up` made, and another one for the wrong-secret case.
    let secrets = vec![up.file("webhook-secret"), signer.secrets(1).remove(0)];
    let printed = up.printed();
    let secret_file = up.dir().join("webhook-secret");
    assert!(
        printed.contains(&secret_file.display().to_string()),
        "cmcc up does not say where the webhook secret is:\n{printed}"
    );
    assert!(
        !printed.contains(&secrets[0]),
        "cmcc up printed the webhook secret"
    );
    assert!(!up.file("credentials.txt").contains(&secrets[0]));
    let started = Instant::now();
    let ex = Example::start(lang, &up, &secrets[0], true, port);
    eprintln!(
        "{} example ready in {} ms",
        lang.name(),
        started.elapsed().as_millis()
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let tokens = check_verification(&up, &ex, &http).await;
    let (busi_seq, link) = check_registration(&up, &ex, &http).await;
    let id = check_webhooks(&signer, &secrets, &ex, &http, &busi_seq).await;
    let real = check_real_webhook(&up, &ex, &http, &link, &busi_seq).await;
    eprintln!("{} example: cmcc up's webhook {real} verified", lang.name());
    let key = up.file("gateway-api-key");
    check_limits_and_outage(&mut up, &ex, &http).await;
    let out = ex.output();
    drop(ex);
    let line = format!("webhook {id}: registration.registered busiSeq={busi_seq} state=registered");
    assert!(out.contains(&line), "the log lacks {line:?}:\n{out}");
    assert!(
        out.contains("120020"),
        "the gateway's refusal is not logged:\n{out}"
    );
    let never = [
        key.as_str(),
        secrets[0].as_str(),
        PHONE,
        "13900139000",
        CARD,
    ];
    for secret in never
        .iter()
        .copied()
        .chain(tokens.iter().map(String::as_str))
    {
        assert!(!out.contains(secret), "the log shows {secret:?}:\n{out}");
    }
}

#[tokio::test]
async fn java_example() {
    run(Lang::Java).await;
}

#[tokio::test]
async fn node_example() {
    run(Lang::Node).await;
}

#[tokio::test]
async fn python_example() {
    run(Lang::Python).await;
}

#[tokio::test]
async fn go_example() {
    run(Lang::Go).await;
}

#[tokio::test]
async fn php_example() {
    run(Lang::Php).await;
}

/// `examples/page-token.sh args…` against `up`.
fn page_token(up: &Up, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("examples/page-token.sh"))
        .args(args)
        .env("CMCC_SANDBOX_URL", up.url("sandbox"))
        .env("CMCC_GATEWAY_URL", up.url("gateway"));
    output_within(&mut cmd, "page-token.sh", Duration::from_secs(60)).unwrap()
}

/// docs/INTEGRATING.md's first steps as written: `cmcc up`, a backend started where it ran (the
/// API key from `.cmcc/gateway-api-key`), `examples/page-token.sh` standing in for the page.
#[tokio::test]
async fn page_token_script_feeds_a_backend() {
    let missing = Lang::Python.missing().or_else(|| {
        probe("curl", &["--version"])
            .is_none()
            .then(|| "no curl".into())
    });
    if let Some(why) = missing {
        return skip("the page-token.sh example", &why);
    }
    let up = Up::start(None);
    let ex = Example::start(
        Lang::Python,
        &up,
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        false,
        free_port(),
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    for (typed, verified, code) in [(PHONE, true, "000"), ("13900139000", false, "001")] {
        let out = page_token(&up, &[PHONE, typed]);
        let body = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (s, v) = post(&http, &format!("{}/api/verify", ex.base), &[], &body).await;
        assert_eq!((s, v), (200, json!({"verified": verified, "code": code})));
    }
    let card = json!({ "msisdn": CARD }).to_string();
    let (s, v) = post(&http, &format!("{}/api/registrations", ex.base), &[], &card).await;
    assert_eq!(s, 200, "the default key file was not used: {v}");
    // A device on another carrier's network gets no token: the script says so and fails.
    let out = page_token(&up, &["18612345678"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("111002"));
}

//! The OneLink API over real HTTP: token, 23A12, 23A23, 23A10, every rule and magic card.

use std::time::Duration;

use cmcc_proto::wire::onelink::{
    IDENTITY_INFO_PATH as INFO, REAL_NAME_REG_PATH as REG, REAL_NAME_STATUS_PATH as STATUS,
    TOKEN_PATH as TOKEN,
};
use cmcc_sandbox::onelink::config::{OldTokenPolicy, OTHER_APPID, OTHER_PASSWORD};
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_testkit::{Sandbox, DEMO_ENTERPRISE, DEMO_PASSWORD};
use serde_json::{json, Value};

use crate::support::onelink::{
    console_fault, get, link, start, submit, token, token_for, transid, BLOCKED, FRESH, IOV,
    OTHERS, REGISTERED,
};
use crate::support::{get_text, no_redirect, post_form};

#[derive(Clone, Copy)]
enum Style {
    Get,
    Json,
    Form,
}

async fn call(sb: &Sandbox, path: &str, style: Style, params: &[(&str, &str)]) -> Value {
    let url = format!("{}{path}", sb.base_url);
    let http = cmcc_testkit::http();
    let req = match style {
        Style::Get => http.get(&url).query(params),
        Style::Json => {
            let obj: serde_json::Map<String, Value> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect();
            http.post(&url).json(&obj)
        }
        Style::Form => {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            http.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
        }
    };
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// The demo enterprise's token parameters with transid `t`.
fn login(t: &str) -> Vec<(&str, &str)> {
    vec![
        ("appid", DEMO_ENTERPRISE),
        ("password", DEMO_PASSWORD),
        ("transid", t),
    ]
}

/// Request parameters written in a table.
type Fields = &'static [(&'static str, &'static str)];

/// One request of a table: what it is, endpoint, style, parameters, and the status answered.
type Case<'a> = (&'a str, &'a str, Style, Vec<(&'a str, &'a str)>, &'a str);

/// Send the cases in order, each one's status checked: their answers, in order.
async fn run(sb: &Sandbox, cases: Vec<Case<'_>>) -> Vec<Value> {
    let mut answers = Vec::new();
    for (what, path, style, params, want) in cases {
        let v = call(sb, path, style, &params).await;
        assert_eq!(v["status"], want, "{what}: {v}");
        answers.push(v);
    }
    answers
}

async fn reg(sb: &Sandbox, tok: &str, field: &str, value: &str, url_type: &str) -> Value {
    let t = transid(DEMO_ENTERPRISE);
    call(
        sb,
        REG,
        Style::Json,
        &[
            ("transid", &t),
            ("token", tok),
            (field, value),
            ("urlType", url_type),
        ],
    )
    .await
}

async fn info(sb: &Sandbox, tok: &str, field: &str, value: &str) -> Value {
    let t = transid(DEMO_ENTERPRISE);
    call(
        sb,
        INFO,
        Style::Get,
        &[("transid", &t), ("token", tok), (field, value)],
    )
    .await
}

/// Ask a urlType-6 link for the fresh magic card and complete its page as the user would.
async fn register_fresh(sb: &Sandbox, tok: &str) {
    let r = link(sb, tok, FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap();
    let (status, v) = submit(
        sb,
        busi_seq,
        &json!({"name": "张三", "residentId": "11010519491231002X"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn token_in_three_styles_with_ttl_3600() {
    let sb = start(OneLinkConfig::default()).await;
    for style in [Style::Get, Style::Json, Style::Form] {
        let t = transid(DEMO_ENTERPRISE);
        let v = call(&sb, TOKEN, style, &login(&t)).await;
        assert_eq!(v["status"], "0");
        assert_eq!(v["message"], "正确");
        assert_eq!(v["result"][0]["ttl"], 3600);
        assert_eq!(v["result"][0]["token"].as_str().unwrap().len(), 32);
    }
    let t = transid(DEMO_ENTERPRISE);
    let refused = run(
        &sb,
        vec![
            (
                "a wrong password",
                TOKEN,
                Style::Get,
                vec![
                    ("appid", DEMO_ENTERPRISE),
                    ("password", "nope"),
                    ("transid", t.as_str()),
                ],
                "12002",
            ),
            (
                "no password",
                TOKEN,
                Style::Get,
                vec![("appid", DEMO_ENTERPRISE)],
                "12001",
            ),
        ],
    )
    .await;
    assert_eq!(refused[0]["result"], json!([]));
    // Secrets never reach the journal.
    let journal = sb.sandbox.core.journal.recent(100, Some("onelink"));
    let text = serde_json::to_string(&journal).unwrap();
    assert!(!text.contains(DEMO_PASSWORD));
}

#[tokio::test]
async fn unknown_and_expired_tokens_answer_12021_with_the_seed_message() {
    let sb = start(OneLinkConfig::default()).await;
    let v = info(&sb, "not-a-token", "msisdn", FRESH).await;
    assert_eq!(
        v,
        json!({"status": "12021", "message": "TOKEN不存在或已过期，请重新获取", "result": []})
    );
    let tok = token(&sb).await;
    assert_eq!(info(&sb, &tok, "msisdn", FRESH).await["status"], "0");
    sb.sandbox
        .core
        .clock
        .advance(chrono::Duration::seconds(3601));
    assert_eq!(info(&sb, &tok, "msisdn", FRESH).await["status"], "12021");
}

#[tokio::test]
async fn old_token_policy_and_refresh_zero() {
    let keep = start(OneLinkConfig::default()).await;
    let a = token(&keep).await;
    let b = token(&keep).await;
    assert_ne!(a, b);
    assert_eq!(info(&keep, &a, "msisdn", FRESH).await["status"], "0");

    let revoke = start(OneLinkConfig {
        old_token_policy: OldTokenPolicy::Revoke,
        ..Default::default()
    })
    .await;
    let a = token(&revoke).await;
    let b = token(&revoke).await;
    assert_eq!(info(&revoke, &a, "msisdn", FRESH).await["status"], "12021");
    assert_eq!(info(&revoke, &b, "msisdn", FRESH).await["status"], "0");
    // refresh=0 hands back the current token with its remaining lifetime.
    revoke
        .sandbox
        .core
        .clock
        .advance(chrono::Duration::seconds(600));
    let t = transid(DEMO_ENTERPRISE);
    let mut params = login(&t);
    params.push(("refresh", "0"));
    let v = call(&revoke, TOKEN, Style::Form, &params).await;
    assert_eq!(v["result"][0]["token"], b.as_str());
    let ttl = v["result"][0]["ttl"].as_u64().unwrap();
    assert!((2990..=3000).contains(&ttl), "{ttl}");
}

#[tokio::test]
async fn transid_is_lenient_by_default_and_strict_on_request() {
    let any_transid = login("whatever");
    let lenient = start(OneLinkConfig::default()).await;
    run(
        &lenient,
        vec![(
            "lenient: any transid",
            TOKEN,
            Style::Get,
            any_transid.clone(),
            "0",
        )],
    )
    .await;
    let strict = start(OneLinkConfig {
        strict_transid: true,
        ..Default::default()
    })
    .await;
    run(
        &strict,
        vec![(
            "strict: a token with a free-form transid",
            TOKEN,
            Style::Get,
            any_transid,
            "12003",
        )],
    )
    .await;
    let tok = token(&strict).await;
    let (other, good) = (transid(OTHER_APPID), transid(DEMO_ENTERPRISE));
    let query = |t| vec![("transid", t), ("token", tok.as_str()), ("msisdn", FRESH)];
    run(
        &strict,
        vec![
            ("strict: transid 1", INFO, Style::Get, query("1"), "12003"),
            // Seed 000's example shape with another appid's prefix is refused too.
            (
                "strict: another appid's transid",
                INFO,
                Style::Get,
                query(other.as_str()),
                "12003",
            ),
            (
                "strict: its own transid",
                INFO,
                Style::Get,
                query(good.as_str()),
                "0",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn registration_link_rules() {
    let sb = start(OneLinkConfig::default()).await;
    let tok = token(&sb).await;
    let t = transid(DEMO_ENTERPRISE);
    let with_auth = |fields: Fields| {
        let mut params = vec![("transid", t.as_str()), ("token", tok.as_str())];
        params.extend_from_slice(fields);
        params
    };
    // Refusals, none of which counts as the card's call of the minute.
    let refusals: [(&str, Fields, &str); 12] = [
        // Exactly one card id.
        (
            "two card ids",
            &[
                ("msisdn", FRESH),
                ("iccid", "898604240000000000001"),
                ("urlType", "6"),
            ],
            "12004",
        ),
        ("no card id", &[("urlType", "6")], "12004"),
        (
            "a bad msisdn",
            &[("msisdn", "12x"), ("urlType", "6")],
            "12001",
        ),
        // Withdrawn / unknown urlTypes; absent means 1 (withdrawn).
        ("urlType 1", &[("msisdn", FRESH), ("urlType", "1")], "12005"),
        ("urlType 4", &[("msisdn", FRESH), ("urlType", "4")], "12005"),
        ("urlType 5", &[("msisdn", FRESH), ("urlType", "5")], "12005"),
        ("urlType x", &[("msisdn", FRESH), ("urlType", "x")], "12005"),
        ("no urlType", &[("msisdn", FRESH)], "12005"),
        // Magic cards.
        (
            "registered",
            &[("msisdn", REGISTERED), ("urlType", "6")],
            "12013",
        ),
        ("blocked", &[("msisdn", BLOCKED), ("urlType", "6")], "12014"),
        (
            "the other enterprise's",
            &[("msisdn", OTHERS), ("urlType", "6")],
            "12011",
        ),
        (
            "not in the inventory",
            &[("msisdn", "1449999999999"), ("urlType", "6")],
            "12011",
        ),
    ];
    run(
        &sb,
        refusals
            .iter()
            .map(|(what, fields, want)| (*what, REG, Style::Json, with_auth(fields), *want))
            .collect(),
    )
    .await;
    // urlType 6: an H5 page URL and a busiSeq; miniParam null.
    let v = reg(&sb, &tok, "msisdn", FRESH, "6").await;
    assert_eq!(v["status"], "0", "{v}");
    let r = &v["result"][0];
    assert!(r["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/onelink/h5/reg/", sb.base_url)));
    assert_eq!(r["busiSeq"].as_str().unwrap().len(), 23);
    assert!(r["miniParam"].is_null());
    // One call per card per urlType per minute, under the virtual clock; any id of the card counts.
    for (what, field, value, url_type, want) in [
        (
            "the same card by iccid, same urlType",
            "iccid",
            "89860424000000000001",
            "6",
            "12012",
        ),
        (
            "the same card by imsi, urlType 2",
            "imsi",
            "460044000000001",
            "2",
            "0",
        ),
        ("the same card, urlType 3", "msisdn", FRESH, "3", "0"),
    ] {
        let v = reg(&sb, &tok, field, value, url_type).await;
        assert_eq!(v["status"], want, "{what}: {v}");
    }
    sb.sandbox.core.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(reg(&sb, &tok, "msisdn", FRESH, "6").await["status"], "0");
}

#[tokio::test]
async fn url_type_2_answers_like_6_and_3_gives_a_verifiable_mini_param() {
    let sb = start(OneLinkConfig::default()).await;
    let tok = token(&sb).await;
    let v = reg(&sb, &tok, "msisdn", FRESH, "2").await;
    assert!(v["result"][0]["url"]
        .as_str()
        .unwrap()
        .contains("/onelink/h5/reg/"));
    let v = reg(&sb, &tok, "msisdn", FRESH, "3").await;
    let r = &v["result"][0];
    let m: cmcc_proto::format::MiniParam = serde_json::from_value(r["miniParam"].clone()).unwrap();
    assert_eq!(m.request_source, "550");
    assert_eq!(
        cmcc_proto::format::MiniParam::from_url(r["url"].as_str().unwrap()).unwrap(),
        m
    );
    assert!(sb.sandbox.onelink.check_mini_param(&m).is_ok());
    let mut forged = m.clone();
    forged.param = "00".repeat(24);
    assert!(sb.sandbox.onelink.check_mini_param(&forged).is_err());
}

#[tokio::test]
async fn status_queries_reflect_registrations_under_the_virtual_clock() {
    let sb = start(OneLinkConfig {
        archive_delay_secs: 30,
        ..Default::default()
    })
    .await;
    let tok = token(&sb).await;
    let v = info(&sb, &tok, "msisdn", FRESH).await;
    assert_eq!(v["result"], json!([{"identityRegistrationStatus": "0"}]));
    let v = info(&sb, &tok, "msisdn", REGISTERED).await;
    assert_eq!(v["result"][0]["identityRegistrationType"], "01");
    assert_eq!(v["result"][0]["archiveTime"], "2024-10-21 09:30:00");
    assert_eq!(
        info(&sb, &tok, "msisdn", IOV).await["result"][0]["identityRegistrationType"],
        "04"
    );
    assert_eq!(info(&sb, &tok, "msisdn", OTHERS).await["status"], "12011");

    register_fresh(&sb, &tok).await;
    // Archived 30 s later: not yet registered.
    assert_eq!(
        info(&sb, &tok, "iccid", "89860424000000000001").await["result"][0]
            ["identityRegistrationStatus"],
        "0"
    );
    let t = transid(DEMO_ENTERPRISE);
    let v = call(
        &sb,
        STATUS,
        Style::Form,
        &[
            ("transid", &t),
            ("token", &tok),
            ("imsi", "460044000000001"),
        ],
    )
    .await;
    assert_eq!(v["result"], json!([{"realNameStatus": "0"}]));
    sb.sandbox.core.clock.advance(chrono::Duration::seconds(31));
    let v = info(&sb, &tok, "imsi", "460044000000001").await;
    assert_eq!(v["result"][0]["identityRegistrationStatus"], "1");
    assert_eq!(v["result"][0]["identityRegistrationType"], "01");
    let archived =
        cmcc_proto::time::parse_archive_time(v["result"][0]["archiveTime"].as_str().unwrap())
            .unwrap();
    assert!((sb.sandbox.core.clock.now() - archived).num_seconds().abs() <= 3);
    let v = call(
        &sb,
        STATUS,
        Style::Json,
        &[("transid", &t), ("token", &tok), ("msisdn", FRESH)],
    )
    .await;
    assert_eq!(v["result"], json!([{"realNameStatus": "1"}]));
    // Now registered: a new link is refused.
    sb.sandbox.core.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        reg(&sb, &tok, "msisdn", FRESH, "6").await["status"],
        "12013"
    );
}

#[tokio::test]
async fn other_enterprise_sees_only_its_cards() {
    let sb = start(OneLinkConfig::default()).await;
    let tok = token_for(&sb, OTHER_APPID, OTHER_PASSWORD).await;
    let t = transid(OTHER_APPID);
    let query = |card| {
        vec![
            ("transid", t.as_str()),
            ("token", tok.as_str()),
            ("msisdn", card),
        ]
    };
    run(
        &sb,
        vec![
            ("its own card", INFO, Style::Json, query(OTHERS), "0"),
            (
                "the demo enterprise's card",
                INFO,
                Style::Json,
                query(FRESH),
                "12011",
            ),
        ],
    )
    .await;
}

// The fault's delay is a tokio sleep in the sandbox, and nothing else in this test runs on a
// timer (no push is in flight, the clients have no timeout): paused time skips it.
#[tokio::test(start_paused = true)]
async fn faults_token_down_busy_and_slow() {
    let sb = start(OneLinkConfig::default()).await;
    let http = cmcc_testkit::http();
    let faults = format!("{}/_sandbox/onelink/faults", sb.base_url);
    for f in [
        json!({"endpoint": TOKEN, "code": "http503"}),
        json!({"endpoint": INFO, "code": "13000"}),
        json!({"endpoint": INFO, "delay_ms": 300}),
    ] {
        assert_eq!(
            http.post(&faults).json(&f).send().await.unwrap().status(),
            201
        );
    }
    let down = http
        .get(format!("{}{TOKEN}", sb.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), 503);
    let tok = token(&sb).await;
    let v = info(&sb, &tok, "msisdn", FRESH).await;
    assert_eq!(v["status"], "13000");
    assert_eq!(v["message"], "系统繁忙，请稍后再试");
    let started = tokio::time::Instant::now();
    assert_eq!(info(&sb, &tok, "msisdn", FRESH).await["status"], "0");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(info(&sb, &tok, "msisdn", FRESH).await["status"], "0");
}

#[tokio::test]
async fn bad_input_never_500s() {
    let sb = start(OneLinkConfig::default()).await;
    let http = cmcc_testkit::http();
    for path in [TOKEN, REG, INFO, STATUS] {
        for (ctype, body) in [
            ("application/json", "{"),
            ("application/json", "[1,2]"),
            ("application/json", "{\"msisdn\":{\"a\":1}}"),
            ("application/x-www-form-urlencoded", "%%%&&=="),
            ("text/plain", "\u{0}\u{1}"),
        ] {
            let r = http
                .post(format!("{}{path}", sb.base_url))
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path} {body}");
            let v: Value = r.json().await.unwrap();
            assert_ne!(v["status"], "0");
        }
    }
}

#[tokio::test]
async fn the_sdk_works_against_the_sandbox_in_every_style() {
    use cmcc_client::onelink::RequestStyle;
    use cmcc_client::{
        MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig as ClientConfig,
    };
    let sb = start(OneLinkConfig::default()).await;
    for style in [
        RequestStyle::PostJson,
        RequestStyle::PostForm,
        RequestStyle::GetQuery,
    ] {
        let mut cfg = ClientConfig::new(
            OneLinkBase::sandbox(&sb.base_url),
            DEMO_ENTERPRISE,
            cmcc_proto::Secret::new(DEMO_PASSWORD),
        );
        cfg.style = style;
        let client = OneLinkClient::new(cfg, std::sync::Arc::new(MemoryTokenStore::new())).unwrap();
        let card = cmcc_proto::CardId::from_fields(Some(REGISTERED), None, None).unwrap();
        let state = client.identity_info(&card).await.unwrap();
        assert_eq!(state.status, "1");
        let s = client.real_name_status(&card).await.unwrap();
        assert_eq!(s.real_name_status, "1");
    }
    // 12021 recovery: revoke all tokens, the SDK fetches another and retries once.
    let cfg = ClientConfig::new(
        OneLinkBase::sandbox(&sb.base_url),
        DEMO_ENTERPRISE,
        cmcc_proto::Secret::new(DEMO_PASSWORD),
    );
    let client = OneLinkClient::new(cfg, std::sync::Arc::new(MemoryTokenStore::new())).unwrap();
    let card = cmcc_proto::CardId::from_fields(Some(FRESH), None, None).unwrap();
    client.identity_info(&card).await.unwrap();
    let r = cmcc_testkit::http()
        .delete(format!("{}/_sandbox/onelink/tokens", sb.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let link = client
        .registration_link(&card, cmcc_proto::wire::onelink::UrlType::MiniProgram, None)
        .await
        .unwrap();
    assert!(link.mini_param.is_some());
    assert_eq!(client.token_fetches(), 2);
}

#[tokio::test]
async fn registration_in_get_and_form_styles_and_user_phone_checked() {
    let sb = start(OneLinkConfig::default()).await;
    let tok = token(&sb).await;
    let t = transid(DEMO_ENTERPRISE);
    let fresh_6 = |user_phone| {
        vec![
            ("transid", t.as_str()),
            ("token", tok.as_str()),
            ("msisdn", FRESH),
            ("urlType", "6"),
            ("userPhone", user_phone),
        ]
    };
    let answers = run(
        &sb,
        vec![
            (
                "GET, a userPhone of 7 digits",
                REG,
                Style::Get,
                fresh_6("1390000"),
                "12001",
            ),
            (
                "GET, a userPhone of 11 digits",
                REG,
                Style::Get,
                fresh_6("13900001111"),
                "0",
            ),
            (
                "form, urlType 3 by iccid",
                REG,
                Style::Form,
                vec![
                    ("transid", t.as_str()),
                    ("token", tok.as_str()),
                    ("iccid", "89860424000000000001"),
                    ("urlType", "3"),
                ],
                "0",
            ),
        ],
    )
    .await;
    assert_eq!(answers[2]["result"][0]["miniParam"]["requestSource"], "550");
    // Each request is journaled as onelink, without the token.
    let journal = sb.sandbox.core.journal.recent(100, Some("onelink"));
    assert!(journal.iter().any(|e| e.path == REG && e.code == "12001"));
    assert!(!serde_json::to_string(&journal).unwrap().contains(&tok));
}

#[tokio::test]
async fn console_forms_inject_faults_and_generate_cards() {
    let sb = start(OneLinkConfig::default()).await;
    let http = no_redirect();
    let r = console_fault(&http, &sb, TOKEN, "13000").await;
    assert_eq!(r.status(), 303);
    let t = transid(DEMO_ENTERPRISE);
    let v = call(&sb, TOKEN, Style::Get, &login(&t)).await;
    assert_eq!(v["status"], "13000");
    let r = post_form(
        &http,
        &format!("{}/_sandbox/onelink/console/cards/generate", sb.base_url),
        &[("appid", DEMO_ENTERPRISE), ("count", "25")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        sb.sandbox.onelink.inventory.read().cards.len(),
        cmcc_sandbox::onelink::inventory::MAGIC.len() + 25
    );
    let page = get_text(
        &http,
        &format!("{}/_sandbox/onelink/?card={REGISTERED}", sb.base_url),
    )
    .await;
    assert!(page.contains("2024-10-21 09:30:00"));
}

#[tokio::test]
async fn sandbox_reset_returns_onelink_to_its_start_state() {
    let sb = start(OneLinkConfig::default()).await;
    let tok = token(&sb).await;
    register_fresh(&sb, &tok).await;
    assert_eq!(
        info(&sb, &tok, "msisdn", FRESH).await["result"][0]["identityRegistrationStatus"],
        "1"
    );
    assert_eq!(
        get(&sb, "/_sandbox/onelink/registrations")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&sb, "/_sandbox/onelink/pushes").await["pushes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (status, _) = cmcc_testkit::post_json(
        &cmcc_testkit::http(),
        &format!("{}/_sandbox/reset", sb.base_url),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200);

    // The old token is gone, the card is unregistered again, nothing of the run is kept.
    assert_eq!(info(&sb, &tok, "msisdn", FRESH).await["status"], "12021");
    let tok = token(&sb).await;
    assert_eq!(
        info(&sb, &tok, "msisdn", FRESH).await["result"],
        json!([{"identityRegistrationStatus": "0"}])
    );
    assert_eq!(
        info(&sb, &tok, "msisdn", REGISTERED).await["result"][0]["identityRegistrationType"],
        "01"
    );
    assert!(get(&sb, "/_sandbox/onelink/registrations")
        .await
        .as_array()
        .unwrap()
        .is_empty());
    assert!(get(&sb, "/_sandbox/onelink/pushes").await["pushes"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(reg(&sb, &tok, "msisdn", FRESH, "6").await["status"], "0");
}

//! In-process HTTP tests of the auth platform: every endpoint and every result code of seeds
//! 001, 002 and 004.

use std::collections::BTreeSet;

use cmcc_proto::wire::passport::{
    self as wire, GetTokenRequest, ImeiValidateRequest, VerifyRequest,
};
use cmcc_sandbox::auth::tenant::Product;
use cmcc_testkit::DEVICE_HEADER;
use reqwest::Method;
use serde_json::json;

use crate::support::auth::*;

const PHONE: &str = "13800138000";

/// A request without extra headers.
const NO_HEADERS: &[(&str, &str)] = &[];

/// Runs one scenario per code and records the code actually answered.
struct Seen(BTreeSet<String>);

impl Seen {
    fn hit(&mut self, expected: &str, got: &str, what: &str) {
        assert_eq!(got, expected, "{what}");
        self.0.insert(got.to_owned());
    }
}

#[tokio::test]
async fn every_result_code_is_reachable() {
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    let mut seen = Seen(BTreeSet::new());

    // ---------------- getToken family
    let (code, token, ui) = s.h5_token(&demo, PHONE).await;
    seen.hit("103000", &code, "H5 getToken");
    seen.hit(
        "000",
        &s.verify(&demo, PHONE, &token, &ui).await,
        "verify own number",
    );
    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    seen.hit(
        "001",
        &s.verify(&demo, "13900139000", &token, &ui).await,
        "verify other number",
    );

    let (code, ..) = s.h5_token(&demo, "").await;
    seen.hit("103111", &code, "no device");
    let (code, ..) = s.h5_token(&demo, "13800138000; wifi").await;
    seen.hit("111002", &code, "wifi");
    for (dev, want) in [
        ("18612345678", "111002"),
        ("19800000001", "111002"),
        ("1440123456789", "103609"),
        ("19800001001", "105002"),
        ("19800002001", "103211"),
    ] {
        let (code, ..) = s.mini_token(&demo, dev).await;
        seen.hit(want, &code, dev);
    }
    let (code, ..) = s.uaid_token(&demo, "19800003001").await;
    seen.hit("999999", &code, "magic system error on getMobile");

    // Refused before the device counts: (what, endpoint, body, headers, code, resultDesc).
    let md5 = |c: &Creds, business_type: &str, edit: &dyn Fn(&mut GetTokenRequest)| {
        let mut req = md5_request(c, business_type, "");
        edit(&mut req);
        json!(req).to_string()
    };
    let mut ghost = demo.clone();
    ghost.app_id = "300000000000".into();
    let h5_only = s.add_app(|a| a.entitlements = vec![Product::H5]).await;
    let device = [(DEVICE_HEADER, PHONE)];
    let refused = [
        (
            "bad JSON",
            wire::UAID_GET_MOBILE_PATH,
            "{not json".to_owned(),
            NO_HEADERS,
            "130032",
            None,
        ),
        (
            "empty appId",
            wire::MINI_GET_TOKEN_INFO_PATH,
            md5(&demo, "5", &|r| r.app_id.clear()),
            NO_HEADERS,
            "130010",
            Some("参数为空-appId is empty"),
        ),
        (
            "bad timestamp",
            wire::MINI_GET_TOKEN_INFO_PATH,
            md5(&demo, "5", &|r| r.timestamp = "2020".into()),
            NO_HEADERS,
            "105112",
            None,
        ),
        (
            "bad MD5 sign",
            wire::MINI_GET_TOKEN_INFO_PATH,
            md5(&demo, "5", &|r| r.sign = "0".repeat(32)),
            &device,
            "103101",
            None,
        ),
        (
            "UAID businessType at mini",
            wire::MINI_GET_TOKEN_INFO_PATH,
            md5(&demo, "3", &|_| {}),
            NO_HEADERS,
            "110024",
            None,
        ),
        (
            "unknown businessType",
            wire::MINI_GET_TOKEN_INFO_PATH,
            md5(&demo, "9", &|_| {}),
            NO_HEADERS,
            "110025",
            Some("businessType 错误"),
        ),
        (
            "unknown app",
            wire::UAID_GET_MOBILE_PATH,
            md5(&ghost, "3", &|_| {}),
            NO_HEADERS,
            "110022",
            None,
        ),
        (
            "not entitled",
            wire::UAID_GET_MOBILE_PATH,
            md5(&h5_only, "3", &|_| {}),
            NO_HEADERS,
            "110023",
            None,
        ),
    ];
    for (what, path, body, headers, want, desc) in refused {
        let (status, v) = s.post_raw(path, &body, headers).await;
        assert_eq!(status, 200, "{what}: {v}");
        seen.hit(want, v["body"]["resultCode"].as_str().unwrap_or(""), what);
        if let Some(desc) = desc {
            assert_eq!(v["body"]["resultDesc"], desc, "{what}");
        }
    }

    let limited = s.add_app(|a| a.rate_limit_per_minute = 1).await;
    let (code, ..) = s.mini_token(&limited, PHONE).await;
    assert_eq!(code, "103000");
    let (code, ..) = s.mini_token(&limited, PHONE).await;
    seen.hit("140005", &code, "rate limit");

    let mut bad_pre_sign = h5_request(&demo, "");
    bad_pre_sign.sign = demo
        .customer
        .sign(cmcc_proto::SignAlg::Md5WithRsa, b"other")
        .unwrap();
    let own_page = format!("{}/x", s.base);
    for (what, req, headers, want) in [
        (
            "bad preSign signature",
            bad_pre_sign,
            [
                ("referer", own_page.as_str()),
                ("origin", s.base.as_str()),
                (DEVICE_HEADER, PHONE),
            ],
            "103101",
        ),
        (
            "referer/origin",
            h5_request(&demo, ""),
            [
                ("referer", "https://evil.example/"),
                ("origin", "https://evil.example"),
                (DEVICE_HEADER, PHONE),
            ],
            "170001",
        ),
    ] {
        let v = s.post(wire::H5_GET_TOKEN_PATH, &json!(req), &headers).await;
        seen.hit(want, v["body"]["resultCode"].as_str().unwrap_or(""), what);
    }

    // ---------------- verifyVmMobileApi
    let (_, v) = s.post_raw(wire::VERIFY_VM_MOBILE_PATH, "<xml/>", &[]).await;
    seen.hit(
        "130032",
        v["header"]["resultCode"].as_str().unwrap_or(""),
        "verify bad JSON",
    );
    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    // The demo app's request with one thing wrong.
    let with = |edit: &dyn Fn(&mut VerifyRequest)| {
        let mut req = verify_request(&demo, PHONE, &token, &ui);
        edit(&mut req);
        req
    };
    let mut wrong_platform = demo.clone();
    wrong_platform.platform = demo.customer.public_key().unwrap();
    let other_sign = demo
        .customer
        .sign(cmcc_proto::SignAlg::Md5WithRsa, b"nope")
        .unwrap();
    for (what, req, want) in [
        (
            "verify empty token",
            with(&|r| r.body.token.clear()),
            "130010",
        ),
        (
            "verify unknown app",
            with(&|r| r.header.app_id = "300000000000".into()),
            "110022",
        ),
        (
            "phoneNum not base64",
            with(&|r| r.body.phone_num = "@@@".into()),
            "130016",
        ),
        (
            "phoneNum for another key",
            verify_request(&wrong_platform, PHONE, &token, &ui),
            "999999",
        ),
        (
            "bad signature",
            with(&|r| r.body.sign.clone_from(&other_sign)),
            "130018",
        ),
        (
            "verify stale timestamp",
            with(&|r| r.header.timestamp = "20000101000000000".into()),
            "105112",
        ),
        (
            "missing userInformation",
            verify_request(&demo, PHONE, &token, ""),
            "120020",
        ),
        (
            "unknown token",
            verify_request(&demo, PHONE, "H5HTTPS0123", &ui),
            "120020",
        ),
    ] {
        seen.hit(want, &s.verify_code(&req).await, what);
    }

    // Apps that may not verify, whatever the token.
    let ip_locked = s.add_app(|a| a.server_ips = vec!["10.9.8.7".into()]).await;
    let uaid_only = s.add_app(|a| a.entitlements = vec![Product::Uaid]).await;
    let expired = s
        .add_app(|a| a.valid_until = Some(chrono::Utc::now() - chrono::Duration::days(1)))
        .await;
    let unavailable = s.add_app(|a| a.available = false).await;
    let used_up = s.add_app(|a| a.usage_limit = Some(0)).await;
    let no_key = s.add_app(|a| a.customer_public_key.clear()).await;
    for (what, app, want) in [
        ("IP allow-list", &ip_locked, "110004"),
        ("verify not entitled", &uaid_only, "110023"),
        ("expired", &expired, "110025"),
        ("unavailable", &unavailable, "110027"),
        ("usage exhausted", &used_up, "111075"),
        ("no key", &no_key, "103605"),
    ] {
        seen.hit(want, &s.verify(app, PHONE, "x", "y").await, what);
    }

    let capped = s.add_app(|a| a.daily_cap = 1).await;
    let (_, t1, u1) = s.h5_token(&capped, PHONE).await;
    assert_eq!(s.verify(&capped, PHONE, &t1, &u1).await, "000");
    let (_, t2, u2) = s.h5_token(&capped, PHONE).await;
    seen.hit(
        "121011",
        &s.verify(&capped, PHONE, &t2, &u2).await,
        "daily cap",
    );

    // ---------------- imeiTokenValidate
    let (code, token, _) = s.uaid_token(&demo, PHONE).await;
    assert_eq!(code, "103000");
    let (code, uaid) = s.imei(&imei_request(&demo, &token)).await;
    seen.hit("000000", &code, "UAID");
    assert_eq!(uaid.unwrap().len(), 64);
    seen.hit(
        "120009",
        &s.imei(&imei_request(&demo, &token)).await.0,
        "UAID token reused",
    );
    let (_, v) = s.post_raw(wire::IMEI_TOKEN_VALIDATE_PATH, "[]", &[]).await;
    seen.hit(
        "130032",
        v["body"]["resultCode"].as_str().unwrap_or(""),
        "imei bad JSON",
    );
    let with = |edit: &dyn Fn(&mut ImeiValidateRequest)| {
        let mut req = imei_request(&demo, &token);
        edit(&mut req);
        req
    };
    for (what, req, want) in [
        (
            "imei empty msgId",
            with(&|r| r.header.msg_id.clear()),
            "130010",
        ),
        (
            "imei bad sign",
            with(&|r| r.body.sign = "AAAA".into()),
            "130018",
        ),
        (
            "imei unknown app",
            with(&|r| r.header.app_id = "300000000000".into()),
            "110022",
        ),
        ("imei IP", imei_request(&ip_locked, "x"), "110004"),
        ("imei entitlement", imei_request(&h5_only, "x"), "110023"),
    ] {
        seen.hit(want, &s.imei(&req).await.0, what);
    }
    // getMobile from a page that is not registered: the token is issued, validation says 120010.
    let req = md5_request(&demo, "3", "");
    let v = s
        .post(
            wire::UAID_GET_MOBILE_PATH,
            &json!(req),
            &[
                ("referer", "https://other.example/p"),
                ("origin", "https://other.example"),
                (DEVICE_HEADER, PHONE),
            ],
        )
        .await;
    let (code, token, _) = token_of(&v);
    assert_eq!(code, "103000");
    seen.hit(
        "120010",
        &s.imei(&imei_request(&demo, &token)).await.0,
        "imei referer/origin",
    );
    s.admin(
        "/_sandbox/faults",
        json!({"endpoint": wire::IMEI_TOKEN_VALIDATE_PATH, "code": "999999"}),
    )
    .await;
    seen.hit(
        "999999",
        &s.imei(&imei_request(&demo, "x")).await.0,
        "imei fault",
    );

    // Every auth-platform code of the seeds except 500, the JSSDK's wrapper (module auth_jssdk).
    let missing: Vec<_> = cmcc_proto::codes::passport_codes()
        .filter(|c| *c != "500" && !seen.0.contains(*c))
        .collect();
    assert!(missing.is_empty(), "codes never reached: {missing:?}");
    s.run.stop();
}

#[tokio::test]
async fn tokens_are_single_use_bound_and_expire() {
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    let other = s.add_app(|_| {}).await;

    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    assert_eq!(s.verify(&demo, PHONE, &token, &ui).await, "000");
    assert_eq!(s.verify(&demo, PHONE, &token, &ui).await, "120020", "reuse");

    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    assert_eq!(
        s.verify(&other, PHONE, &token, &ui).await,
        "120020",
        "other app"
    );

    let (_, token, _) = s.h5_token(&demo, PHONE).await;
    assert_eq!(
        s.verify(&demo, PHONE, &token, "another-fp").await,
        "120020",
        "fingerprint"
    );

    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    let v = s
        .admin("/_sandbox/clock/advance", json!({"seconds": 61}))
        .await;
    assert!(v["offset_ms"].as_i64().unwrap() >= 61_000);
    // The client's timestamps are real time; widen the tolerance past the offset.
    s.run
        .sandbox
        .auth
        .set_settings(cmcc_sandbox::auth::Settings {
            strict_signatures: true,
            timestamp_tolerance_secs: 3600,
        });
    assert_eq!(
        s.verify(&demo, PHONE, &token, &ui).await,
        "120020",
        "expired"
    );
    // (Advancing the clock sweeps expired tokens: the journal says unknown, not expired.)

    // UAID lives 300 s.
    let (_, token, _) = s.uaid_token(&demo, PHONE).await;
    s.admin("/_sandbox/clock/advance", json!({"seconds": 299}))
        .await;
    let (_, token2, _) = s.uaid_token(&demo, PHONE).await;
    s.admin("/_sandbox/clock/advance", json!({"seconds": 2}))
        .await;
    assert_eq!(s.imei(&imei_request(&demo, &token)).await.0, "120009");
    assert_eq!(s.imei(&imei_request(&demo, &token2)).await.0, "000000");

    // Expired tokens are reclaimed.
    for _ in 0..5 {
        s.h5_token(&demo, PHONE).await;
    }
    assert!(s.run.sandbox.auth.tokens.len() >= 5);
    s.admin("/_sandbox/clock/advance", json!({"seconds": 3600}))
        .await;
    let v = s.get_json("/_sandbox/auth/tokens").await;
    assert_eq!(v["outstanding"], 0, "{v}");
}

#[tokio::test]
async fn daily_cap_rolls_with_the_china_day() {
    let s = Sbx::demo().await;
    s.run
        .sandbox
        .auth
        .set_settings(cmcc_sandbox::auth::Settings {
            strict_signatures: true,
            timestamp_tolerance_secs: 3 * 86_400,
        });
    let c = s.add_app(|a| a.daily_cap = 2).await;
    for want in ["000", "000", "121011"] {
        let (_, t, u) = s.h5_token(&c, PHONE).await;
        assert_eq!(s.verify(&c, PHONE, &t, &u).await, want);
    }
    s.admin("/_sandbox/clock/advance", json!({"seconds": 86_400}))
        .await;
    let (_, t, u) = s.h5_token(&c, PHONE).await;
    assert_eq!(s.verify(&c, PHONE, &t, &u).await, "000");
}

#[tokio::test]
async fn diagnostics_explain_130018_and_170001() {
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    // A client that forgot the version in its sign string.
    let mut req = verify_request(&demo, PHONE, &token, &ui);
    let wrong = format!(
        "{}{}{}{}{}",
        req.header.app_id,
        req.header.msg_id,
        req.body.phone_num,
        req.header.timestamp,
        req.body.token
    );
    req.body.sign = demo
        .customer
        .sign(cmcc_proto::SignAlg::Md5WithRsa, wrong.as_bytes())
        .unwrap();
    assert_eq!(s.verify_code(&req).await, "130018");
    let e = s.journal_entry("130018").await;
    assert_eq!(
        e["detail"]["expected_sign_string"],
        req.sign_string().as_str()
    );
    assert_eq!(e["detail"]["reconstructed_sign_string"], wrong);
    assert!(e["detail"]["verdict"]
        .as_str()
        .unwrap()
        .contains("without version"));

    // Signed with another key.
    let other = cmcc_proto::PrivateKey::generate(1024).unwrap();
    let mut req = verify_request(&demo, PHONE, &token, &ui);
    req.body.sign = req.sign_string().sign(&other).unwrap();
    assert_eq!(s.verify_code(&req).await, "130018");
    let e = s.journal_entry("130018").await;
    assert!(e["detail"]["verdict"]
        .as_str()
        .unwrap()
        .contains("another private key"));

    // Referer registered without the trailing slash; origin with one.
    let c = s
        .add_app(|a| {
            a.referers = vec!["http://www.abc.com/a/mobile.html".into()];
            a.origins = vec!["http://www.abc.com/".into()];
        })
        .await;
    let v = s
        .post(
            wire::H5_GET_TOKEN_PATH,
            &json!(h5_request(&c, "")),
            &[
                ("referer", "http://www.abc.com/a/mobile.html?x=1"),
                ("origin", "http://www.abc.com"),
                (DEVICE_HEADER, PHONE),
            ],
        )
        .await;
    assert_eq!(v["body"]["resultCode"], "170001");
    let e = s.journal_entry("170001").await;
    assert_eq!(
        e["detail"]["seen"]["referer"],
        "http://www.abc.com/a/mobile.html?x=1"
    );
    assert_eq!(
        e["detail"]["registered"]["origins"][0],
        "http://www.abc.com/"
    );
    let hints = e["detail"]["hints"].to_string();
    assert!(
        hints.contains("does not end in '/'") && hints.contains("ends in '/'"),
        "{hints}"
    );
    // The MD5 sign failure shows the pre-image without the appKey.
    let mut req = md5_request(&demo, "5", "");
    req.sign = "x".into();
    s.post(
        wire::MINI_GET_TOKEN_INFO_PATH,
        &json!(req),
        &[(DEVICE_HEADER, PHONE)],
    )
    .await;
    let e = s.journal_entry("103101").await;
    let pre = e["detail"]["expected_pre_image"].as_str().unwrap();
    assert!(pre.ends_with("<appKey>") && !pre.contains(&demo.app_key));
    // No full phone number and no appKey anywhere in the journal.
    let all = s.get_json("/_sandbox/journal?limit=1000").await.to_string();
    assert!(!all.contains(PHONE) && !all.contains(&demo.app_key));
}

#[tokio::test]
async fn log_only_signatures_and_legacy_phone_num() {
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    s.run
        .sandbox
        .auth
        .set_settings(cmcc_sandbox::auth::Settings {
            strict_signatures: false,
            timestamp_tolerance_secs: 600,
        });
    let (_, token, ui) = s.h5_token(&demo, PHONE).await;
    let mut req = verify_request(&demo, PHONE, &token, &ui);
    req.body.sign = demo
        .customer
        .sign(cmcc_proto::SignAlg::Md5WithRsa, b"nope")
        .unwrap();
    assert_eq!(s.verify_code(&req).await, "000");
    let note = s.journal_entry("130018").await;
    assert!(note["reason"]
        .as_str()
        .unwrap()
        .starts_with("would answer 130018"));

    // keyType 0: phoneNum is the SHA-256 of phone + appKey + timestamp (seed 004's example).
    let legacy = s.add_app(|a| a.legacy_phone_num = true).await;
    for (phone, want) in [(PHONE, "000"), ("13900139000", "001")] {
        let (_, token, ui) = s.h5_token(&legacy, PHONE).await;
        let mut req = verify_request(&legacy, phone, &token, &ui);
        req.body.phone_num =
            cmcc_proto::sign::legacy_phone_num(phone, &legacy.app_key, &req.header.timestamp);
        req.body.sign = req.sign_string().sign(&legacy.customer).unwrap();
        assert_eq!(s.verify_code(&req).await, want);
    }
}

#[tokio::test]
async fn virtual_network_sources() {
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    // (a) expandParams phoneNum= for a test-mode app, ignored for a production app...
    let prod = s.add_app(|a| a.test_mode = false).await;
    let mut grants = Vec::new();
    for (what, app, want) in [
        ("a test-mode app", &demo, "103000"),
        ("a production app", &prod, "103111"),
    ] {
        let v = s
            .post(
                wire::MINI_GET_TOKEN_INFO_PATH,
                &json!(md5_request(app, "5", &phone_expand(PHONE))),
                &[],
            )
            .await;
        let grant = token_of(&v);
        assert_eq!(grant.0, want, "{what}: {v}");
        grants.push(grant);
    }
    let (_, token, ui) = &grants[0];
    assert_eq!(s.verify(&demo, PHONE, token, ui).await, "000");
    // ... unless the mini-program asks for the test line (isTest=0).
    let mut req = md5_request(&prod, "5", &phone_expand(PHONE));
    req.is_test = Some("0".into());
    let v = s
        .post(wire::MINI_GET_TOKEN_INFO_PATH, &json!(req), &[])
        .await;
    assert_eq!(token_of(&v).0, "103000");
    // (b) the device page's cookie.
    let r = s
        .http
        .post(format!("{}/_sandbox/auth/device", s.base))
        .json(&json!({"id": "cmcc-5g"}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(cookie, "cmcc_sandbox_device=cmcc-5g");
    let v = s
        .post(
            wire::MINI_GET_TOKEN_INFO_PATH,
            &json!(md5_request(&demo, "5", "")),
            &[("cookie", &cookie)],
        )
        .await;
    let (code, token, ui) = token_of(&v);
    assert_eq!(code, "103000");
    assert_eq!(s.verify(&demo, "19812345678", &token, &ui).await, "000");
    assert_eq!(
        s.status(
            Method::POST,
            "/_sandbox/auth/device",
            Some(json!({"id": "nope"}))
        )
        .await,
        404,
        "an unknown device"
    );
    // (c) the header wins; getConnection reports the network.
    let app = json!({"appId": demo.app_id});
    for (what, body, headers, field, want) in [
        (
            "header and cookie",
            &app,
            &[(DEVICE_HEADER, "wifi"), ("cookie", cookie.as_str())][..],
            "netType",
            "WIFI",
        ),
        (
            "the cookie",
            &app,
            &[("cookie", cookie.as_str())][..],
            "netType",
            "5G",
        ),
        ("no appId", &json!({}), &[][..], "resultCode", "130010"),
    ] {
        let v = s.post(wire::GET_CONNECTION_PATH, body, headers).await;
        assert_eq!(v[field], want, "{what}: {v}");
    }
}

#[tokio::test]
async fn wxappid_check_for_mini_programs() {
    let s = Sbx::demo().await;
    let c = s
        .add_app(|a| a.wxappids = vec!["wx10a00cf000000000".into()])
        .await;
    for (what, wxappid, want) in [
        ("its own wxappid", "wx10a00cf000000000", "103000"),
        ("another wxappid", "wxffffffffffffffff", "170001"),
    ] {
        let referer = format!("https://servicewechat.com/{wxappid}/3/page-frame.html");
        let v = s
            .post(
                wire::MINI_GET_TOKEN_INFO_PATH,
                &json!(md5_request(&c, "5", "")),
                &[("referer", &referer), (DEVICE_HEADER, PHONE)],
            )
            .await;
        assert_eq!(token_of(&v).0, want, "{what}");
    }
}

/// Routes come from the definitions in `cmcc_proto::endpoint`: every endpoint of both platforms
/// is served at its path on each of its methods (answered, whatever the code, never 404/405).
#[tokio::test]
async fn every_defined_endpoint_is_served_on_each_of_its_methods() {
    use cmcc_proto::endpoint::{Method, ALL};
    let sb = Sbx::demo().await;
    for m in ALL {
        for method in m.methods {
            let url = format!("{}{}", sb.base, m.path);
            let req = match method {
                Method::Get => sb.http.get(&url),
                Method::Post => sb
                    .http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body("{}"),
            };
            let status = req.send().await.unwrap().status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{} {} {}: {status}",
                m.name,
                method.as_str(),
                m.path
            );
        }
    }
}

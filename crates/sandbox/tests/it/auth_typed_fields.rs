//! Fields read through the shared wire types: the mini-program's `userInformation`, the typed
//! getConnection, and the echo of msgId/appId written with seed 004's trailing-space keys.

use cmcc_proto::wire::passport::{self as wire, GetConnectionResponse};
use cmcc_testkit::DEVICE_HEADER;
use serde_json::json;

use crate::support::auth::*;

const PHONE: &str = "13800138000";

#[tokio::test]
async fn mini_get_token_info_binds_the_user_information_it_sends() {
    let s = Sbx::demo().await;
    let c = s.demo_creds();
    let mut req = md5_request(&c, wire::BUSINESS_TYPE_MINI, "");
    req.user_information = Some("fp-of-the-mini-program".into());
    let v = s
        .post(
            wire::MINI_GET_TOKEN_INFO_PATH,
            &json!(req),
            &[(DEVICE_HEADER, PHONE)],
        )
        .await;
    let (code, token, ui) = token_of(&v);
    assert_eq!(code, "103000", "{v}");
    assert_eq!(ui, "fp-of-the-mini-program");
    assert_eq!(
        s.verify(&c, PHONE, &token, "fp-of-the-mini-program").await,
        "000"
    );
}

#[tokio::test]
async fn get_connection_answers_the_typed_shape() {
    let s = Sbx::demo().await;
    let v = s
        .post(
            wire::GET_CONNECTION_PATH,
            &json!({"appId": "300011800001"}),
            &[(DEVICE_HEADER, "13800138000; wifi")],
        )
        .await;
    let r: GetConnectionResponse = serde_json::from_value(v).unwrap();
    assert_eq!(
        (r.result_code.as_str(), r.net_type.as_str(), r.is_cellular),
        ("103000", "WIFI", false)
    );
    let v = s.post(wire::GET_CONNECTION_PATH, &json!({}), &[]).await;
    assert_eq!(v["resultCode"], "130010", "{v}");
}

#[tokio::test]
async fn rejected_requests_echo_msg_id_and_app_id_written_with_trailing_spaces() {
    let s = Sbx::demo().await;
    let body = json!({"header": {"msgId ": "m-1", "appId ": "a-1", "version ": "1.0"}, "body": {}});
    let v = s.post(wire::VERIFY_VM_MOBILE_PATH, &body, &[]).await;
    assert_eq!(v["header"]["msgId"], "m-1", "{v}");
    assert_eq!(v["header"]["appId"], "a-1", "{v}");
    assert_eq!(v["header"]["resultCode"], "130010", "{v}");
    let v = s.post(wire::IMEI_TOKEN_VALIDATE_PATH, &body, &[]).await;
    assert_eq!(v["header"]["msgId"], "m-1", "{v}");
    assert_eq!(v["header"]["version"], "1.0", "{v}");
    // A non-string value is not echoed.
    let v = s
        .post(
            wire::MINI_GET_TOKEN_INFO_PATH,
            &json!({"msgId": 7, "appId": "a-2"}),
            &[],
        )
        .await;
    assert_eq!(v["header"]["msgId"], "", "{v}");
    assert_eq!(v["header"]["appId"], "a-2", "{v}");
}

//! The SDK (`cmcc-client`) against the sandbox: both sides built on `cmcc-proto` agree, and
//! pointing the SDK at the sandbox is only a base-URL change.

use cmcc_client::passport::{PassportClient, PassportConfig, Verification};
use cmcc_client::PassportBase;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::ids::{Phone, Secret};
use cmcc_testkit::DEVICE_HEADER;

use crate::support::auth::*;

fn client(s: &Sbx, device: &str) -> PassportClient {
    let c = s.demo_creds();
    let mut cfg = PassportConfig::new(
        PassportBase::single(&s.base),
        &c.app_id,
        Secret::new(c.app_key),
        c.customer,
        c.platform,
    );
    cfg.headers = vec![
        (DEVICE_HEADER.into(), device.into()),
        ("referer".into(), format!("{}/login.html", s.base)),
        ("origin".into(), s.base.clone()),
    ];
    PassportClient::new(cfg).unwrap()
}

#[tokio::test]
async fn the_sdk_verifies_numbers_and_gets_uaids() {
    let s = Sbx::demo().await;
    let phone = Phone::parse("13800138000").unwrap();
    let other = Phone::parse("13900139000").unwrap();
    let c = client(&s, phone.as_str());

    let grant = c
        .h5_get_token(&ExpandParams::new(), "fp-sdk")
        .await
        .unwrap();
    let ui = grant.user_information.clone().unwrap();
    let out = c.verify_number(&phone, &grant.token, &ui).await.unwrap();
    assert_eq!(out.result, Verification::Match);

    let grant = c.mini_get_token_info(&ExpandParams::new()).await.unwrap();
    let ui = grant.user_information.clone().unwrap();
    let out = c.verify_number(&other, &grant.token, &ui).await.unwrap();
    assert_eq!(out.result, Verification::NoMatch);

    let grant = c.uaid_get_token(&ExpandParams::new()).await.unwrap();
    let uaid = c.validate_uaid(&grant.token).await.unwrap();
    assert_eq!(uaid.len(), 64);
    let again = c.uaid_get_token(&ExpandParams::new()).await.unwrap();
    assert_eq!(
        c.validate_uaid(&again.token).await.unwrap(),
        uaid,
        "stable per app and device"
    );

    // Carrier errors arrive as carrier codes.
    let wifi = client(&s, "13800138000; wifi");
    let e = wifi
        .mini_get_token_info(&ExpandParams::new())
        .await
        .unwrap_err();
    assert_eq!(e.carrier_code(), Some("111002"));
    let e = c.validate_uaid(&grant.token).await.unwrap_err();
    assert_eq!(e.carrier_code(), Some("120009"));
}

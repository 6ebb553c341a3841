//! The carrier H5 JSSDK's wire: an image GET of getMobile.htm (where the device is identified),
//! then the `{header, body}` POST of getToken.htm, answered `{header:{resultCode}, body:{token,
//! resultDesc}}`; the token is bound to the image's userInformation.

use cmcc_proto::wire::passport::{self as wire, H5TokenAnswer, H5TokenEnvelope};
use cmcc_testkit::DEVICE_HEADER;
use serde_json::json;

use crate::support::auth::*;

const PHONE: &str = "13800138000";

impl Sbx {
    /// The image request as the carrier's script makes it; the device header plays the mobile
    /// gateway adding the number.
    async fn image(&self, req: &H5TokenEnvelope, ui: &str, device: &str) -> reqwest::Response {
        let mut rb = self
            .http
            .get(format!("{}{}", self.base, wire::H5_IMAGE_PATH))
            .query(&[
                ("version", req.header.version.as_str()),
                ("appId", &req.header.app_id),
                ("openType", "1"),
                ("expandParams", &req.body.expand_params),
                ("msgId", &req.header.msg_id),
                ("timestamp", &req.header.timestamp),
                ("uuid", &req.body.uuid),
                ("userInformation", ui),
            ]);
        if !device.is_empty() {
            rb = rb.header(DEVICE_HEADER, device);
        }
        rb.send().await.unwrap()
    }

    async fn envelope_token(&self, req: &H5TokenEnvelope) -> H5TokenAnswer {
        let h = self.page_headers();
        let headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let v = self
            .post(wire::H5_GET_TOKEN_PATH, &json!(req), &headers)
            .await;
        serde_json::from_value(v).unwrap()
    }
}

fn envelope(c: &Creds) -> H5TokenEnvelope {
    let flat = h5_request(c, "");
    serde_json::from_value(json!({
        "header": {"version": flat.version, "msgId": flat.msg_id, "timestamp": flat.timestamp, "appId": flat.app_id},
        "body": {"expandParams": "", "sign": flat.sign, "uuid": flat.uuid},
    }))
    .unwrap()
}

#[tokio::test]
async fn image_then_envelope_post_gives_a_token_bound_to_the_image_fingerprint() {
    let s = Sbx::demo().await;
    let c = s.demo_creds();
    let req = envelope(&c);
    let ui = "ZnAtZnJvbS10aGUtaW1hZ2U%3D";
    let img = s.image(&req, ui, PHONE).await;
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/gif");
    assert!(img.bytes().await.unwrap().starts_with(b"GIF89a"));

    let a = s.envelope_token(&req).await;
    assert_eq!(a.header.result_code, "103000", "{a:?}");
    assert!(!a.body.token.is_empty());
    // Bound to the image's fingerprint: another one is refused, the image's one verifies.
    assert_eq!(s.verify(&c, PHONE, &a.body.token, "other").await, "120020");
    let req = envelope(&c);
    s.image(&req, ui, PHONE).await;
    let a = s.envelope_token(&req).await;
    assert_eq!(s.verify(&c, PHONE, &a.body.token, ui).await, "000");

    // The image is used once: the same POST again finds none.
    let again = s.envelope_token(&req).await;
    assert_eq!(again.header.result_code, "103111", "{again:?}");
}

#[tokio::test]
async fn envelope_post_without_its_image_or_from_wifi_is_refused() {
    let s = Sbx::demo().await;
    let c = s.demo_creds();
    let a = s.envelope_token(&envelope(&c)).await;
    assert_eq!(a.header.result_code, "103111", "{a:?}");
    assert!(a.body.token.is_empty());
    let e = s.journal_entry("103111").await;
    assert!(
        e["reason"].as_str().unwrap().contains("getMobile.htm"),
        "{e}"
    );

    let req = envelope(&c);
    s.image(&req, "fp", &format!("{PHONE}; wifi")).await;
    let a = s.envelope_token(&req).await;
    assert_eq!(a.header.result_code, "111002", "{a:?}");

    // The checks before the device still come first: a bad sign is 103101, image or not.
    let mut req = envelope(&c);
    req.body.sign = "AAAA".into();
    s.image(&req, "fp", PHONE).await;
    assert_eq!(s.envelope_token(&req).await.header.result_code, "103101");
}

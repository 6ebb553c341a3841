//! `cmcc sign --request-template`: the JSON shape of the requests `sign --request` and
//! `verify --request` take, with a fresh msgId and timestamp and placeholders to fill in.

use clap::ValueEnum;
use serde_json::Value;

use crate::input;

/// Which request `--request-template` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Template {
    /// verifyVmMobileApi (H5 and mini-program number verification, seed 004 §3.2.1).
    Verify,
    /// imeiTokenValidate (UAID, seed 002 §3.2.2).
    Uaid,
}

/// A request to fill in: fresh msgId and timestamp, placeholders where only the caller knows.
pub(crate) fn template(t: Template) -> (Value, &'static str) {
    let msg_id: String = (0..32)
        .map(|_| char::from_digit(rand::random_range(0..16), 16).unwrap_or('0'))
        .collect();
    match t {
        Template::Verify => (
            serde_json::json!({
                "header": {"version": "1.0", "msgId": msg_id, "timestamp": input::now17(), "appId": "<your appId>"},
                "body": {"token": "<token from the page's getToken>", "phoneNum": "<cmcc encrypt-phone output, with the same timestamp>",
                         "userInformation": "<userInformation from the page's getToken>", "expandParams": "", "sign": ""}
            }),
            "verifyVmMobileApi: POST it as JSON. header.timestamp: 17 digits, China time, the one given to \
             `cmcc encrypt-phone --timestamp`; msgId: unique per request; body.sign: filled by `cmcc sign \
             --request`, MD5withRSA over appId+msgId+phoneNum+timestamp+token+version (expandParams and \
             userInformation are sent, not signed)",
        ),
        Template::Uaid => (
            serde_json::json!({
                "header": {"version": "2.0", "msgId": msg_id, "timestamp": input::now17(), "appId": "<your appId>"},
                "body": {"token": "<token from the page's getMobile>", "expandParams": "", "sign": ""}
            }),
            "imeiTokenValidate: POST it as JSON. header.version is 2.0; body.sign: filled by `cmcc sign \
             --request`, MD5withRSA over appId+msgId+timestamp+token+version",
        ),
    }
}

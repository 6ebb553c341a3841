//! The carrier H5 JSSDK's image requests (`getMobile.htm`), kept until the getToken POST that
//! follows them: on the real network the mobile gateway adds the device's number to the image
//! request, so the device is identified there, not at getToken. Keyed by appId and msgId; an
//! image is used once and forgotten after [`TTL_MS`].

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap};
use parking_lot::Mutex;

use super::network::DEVICE_HEADER;

/// How long an image waits for its getToken (cmcc's choice).
pub const TTL_MS: i64 = 120_000;
/// At most this many images wait at once; the oldest go first.
const CAP: usize = 100_000;

/// What the image request told the platform.
#[derive(Debug, Clone)]
pub struct Image {
    /// The headers that identify the device (the sandbox's device header, the device cookie).
    pub device_headers: HeaderMap,
    pub user_information: String,
    at_ms: i64,
}

#[derive(Debug, Default)]
pub struct Images {
    by_key: Mutex<BTreeMap<(String, String), Image>>,
}

impl Images {
    /// Remember an image request.
    pub fn put(
        &self,
        app_id: &str,
        msg_id: &str,
        headers: &HeaderMap,
        user_information: &str,
        now_ms: i64,
    ) {
        let mut device_headers = HeaderMap::new();
        for name in [header::COOKIE.as_str(), DEVICE_HEADER] {
            for v in headers.get_all(name) {
                if let Ok(n) = header::HeaderName::from_bytes(name.as_bytes()) {
                    device_headers.append(n, v.clone());
                }
            }
        }
        let mut m = self.by_key.lock();
        if m.len() >= CAP {
            m.retain(|_, i| now_ms - i.at_ms < TTL_MS);
        }
        while m.len() >= CAP {
            let oldest = m
                .iter()
                .min_by_key(|(_, i)| i.at_ms)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => m.remove(&k),
                None => break,
            };
        }
        m.insert(
            (app_id.trim().to_owned(), msg_id.trim().to_owned()),
            Image {
                device_headers,
                user_information: user_information.to_owned(),
                at_ms: now_ms,
            },
        );
    }

    /// The image of this appId and msgId, once.
    pub fn take(&self, app_id: &str, msg_id: &str, now_ms: i64) -> Option<Image> {
        let key = (app_id.trim().to_owned(), msg_id.trim().to_owned());
        self.by_key
            .lock()
            .remove(&key)
            .filter(|i| now_ms - i.at_ms < TTL_MS)
    }

    pub fn clear(&self) {
        self.by_key.lock().clear();
    }
}

//! The virtual network that replaces the cellular gateway: which number a device has and
//! whether it is on cellular data or WiFi, and the deterministic outcome of a number fetch
//! (see `MAGIC.md`).

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

/// Request header automated tests use to say which device is calling:
/// `13800138000`, `13800138000; wifi`, `wifi`, `13800138000; net=5g`.
pub const DEVICE_HEADER: &str = "x-cmcc-sandbox-device";
/// Cookie set by the sandbox's device page: the id of a device profile.
pub const DEVICE_COOKIE: &str = "cmcc_sandbox_device";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Net {
    #[serde(rename = "4g")]
    Cellular4g,
    #[serde(rename = "5g")]
    Cellular5g,
    Wifi,
}

impl Net {
    /// `netType` as getConnection reports it.
    pub fn net_type(self) -> &'static str {
        match self {
            Self::Cellular4g => "4G",
            Self::Cellular5g => "5G",
            Self::Wifi => "WIFI",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "4g" | "cellular" | "lte" | "3g" => Some(Self::Cellular4g),
            "5g" => Some(Self::Cellular5g),
            "wifi" | "wlan" => Some(Self::Wifi),
            _ => None,
        }
    }
}

/// A device profile (admin API `/_sandbox/auth/devices`, chosen on the device page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    pub id: String,
    #[serde(default)]
    pub label: String,
    /// The number the gateway would insert (11 digits, or 13 for IoT cards). Empty: none.
    #[serde(default)]
    pub number: String,
    pub net: Net,
}

/// Where the device came from (journal detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceSource {
    Header,
    ExpandParams,
    Cookie,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub number: String,
    pub net: Net,
    pub source: DeviceSource,
}

/// The default device profiles: one per documented outcome.
pub fn default_devices() -> Vec<DeviceProfile> {
    let d = |id: &str, label: &str, number: &str, net| DeviceProfile {
        id: id.into(),
        label: label.into(),
        number: number.into(),
        net,
    };
    vec![
        d(
            "cmcc-4g",
            "China Mobile, 4G",
            "13800138000",
            Net::Cellular4g,
        ),
        d(
            "cmcc-5g",
            "China Mobile, 5G",
            "19812345678",
            Net::Cellular5g,
        ),
        d(
            "cmcc-wifi",
            "China Mobile phone on WiFi",
            "13800138000",
            Net::Wifi,
        ),
        d(
            "unicom-4g",
            "China Unicom, 4G",
            "18612345678",
            Net::Cellular4g,
        ),
        d(
            "telecom-4g",
            "China Telecom, 4G",
            "18912345678",
            Net::Cellular4g,
        ),
        d(
            "iot",
            "China Mobile IoT card",
            "1440123456789",
            Net::Cellular4g,
        ),
        d(
            "blacklisted",
            "Blacklisted number",
            "19800000001",
            Net::Cellular4g,
        ),
        d(
            "gateway-fail",
            "Gateway fails to fetch",
            "19800001001",
            Net::Cellular4g,
        ),
    ]
}

/// Parse the device header: a number and/or a network, separated by `;`, `,` or spaces.
pub fn parse_device_spec(spec: &str) -> Option<(String, Net)> {
    let mut number = String::new();
    let mut net = None;
    for part in spec.split([';', ',', ' ']).filter(|p| !p.is_empty()) {
        let part = part.trim();
        let value = part
            .strip_prefix("net=")
            .or_else(|| part.strip_prefix("network="))
            .unwrap_or(part);
        if let Some(n) = Net::parse(value) {
            net = Some(n);
        } else if let Some(num) = part.strip_prefix("phone=").or(Some(part)) {
            if num.bytes().all(|b| b.is_ascii_digit()) && !num.is_empty() && num.len() <= 15 {
                number = num.to_owned();
            } else {
                return None;
            }
        }
    }
    if number.is_empty() && net.is_none() {
        return None;
    }
    Some((number, net.unwrap_or(Net::Cellular4g)))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Which device is calling: the header, then (test environment only) `expandParams`
/// `phoneNum=`, then the device-page cookie.
pub fn resolve(
    headers: &HeaderMap,
    test_phone: Option<&str>,
    devices: &[DeviceProfile],
) -> Option<Device> {
    if let Some(spec) = headers.get(DEVICE_HEADER).and_then(|v| v.to_str().ok()) {
        if let Some((number, net)) = parse_device_spec(spec) {
            return Some(Device {
                number,
                net,
                source: DeviceSource::Header,
            });
        }
    }
    if let Some(p) = test_phone.map(str::trim).filter(|p| !p.is_empty()) {
        return Some(Device {
            number: p.to_owned(),
            net: Net::Cellular4g,
            source: DeviceSource::ExpandParams,
        });
    }
    let id = cookie(headers, DEVICE_COOKIE)?;
    devices.iter().find(|d| d.id == id).map(|d| Device {
        number: d.number.clone(),
        net: d.net,
        source: DeviceSource::Cookie,
    })
}

/// The id of the device profile the cookie selects, if any.
pub fn selected_profile(headers: &HeaderMap) -> Option<String> {
    cookie(headers, DEVICE_COOKIE).map(str::to_owned)
}

/// Carrier of a number by its segment (号段).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    ChinaMobile,
    /// China Mobile 13-digit IoT numbers (1440…, 148…).
    Iot,
    OtherCarrier,
    Malformed,
}

/// China Mobile's 11-digit segments.
const CMCC: &[&str] = &[
    "1340", "1341", "1342", "1343", "1344", "1345", "1346", "1347", "1348", "135", "136", "137",
    "138", "139", "147", "150", "151", "152", "157", "158", "159", "172", "178", "182", "183",
    "184", "187", "188", "195", "197", "198",
];

pub fn segment(number: &str) -> Segment {
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return Segment::Malformed;
    }
    match number.len() {
        13 if number.starts_with("1440") || number.starts_with("148") => Segment::Iot,
        11 if !number.starts_with('1') => Segment::Malformed,
        11 if CMCC.iter().any(|p| number.starts_with(p)) => Segment::ChinaMobile,
        11 => Segment::OtherCarrier,
        _ => Segment::Malformed,
    }
}

/// The outcome of a number fetch: a number, or a result code with its description and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    Number(u64),
    Refused {
        code: &'static str,
        desc: &'static str,
        reason: String,
    },
}

/// Decide what the gateway does for `device` (deterministic, documented in MAGIC.md).
pub fn fetch(device: Option<&Device>) -> Fetch {
    let refuse = |code, desc, reason: String| Fetch::Refused { code, desc, reason };
    let Some(d) = device else {
        return refuse(
            "103111",
            "WAP 网关 IP 错误",
            "no device: the request did not come through the (virtual) WAP gateway; send the \
             X-Cmcc-Sandbox-Device header, choose a device on /_sandbox/auth/, or (test-mode app) \
             put phoneNum=<number> in expandParams"
                .into(),
        );
    };
    if d.net == Net::Wifi {
        return refuse(
            "111002",
            "网关未插入手机号",
            "the device is on WiFi: number fetch needs cellular data".into(),
        );
    }
    let n = d.number.as_str();
    match segment(n) {
        Segment::Malformed => {
            return refuse(
                "111002",
                "网关未插入手机号-116",
                "the gateway inserted no usable number (empty or truncated)".into(),
            )
        }
        Segment::OtherCarrier => {
            return refuse(
                "111002",
                "网关未插入手机号-非移动号码",
                "not a China Mobile number (other carrier's segment)".into(),
            )
        }
        Segment::Iot => {
            return refuse(
                "103609",
                "物联网 IP 不允许取号",
                "IoT card numbers cannot fetch a number".into(),
            )
        }
        Segment::ChinaMobile => {}
    }
    // Magic block 1980000Xxxx: fixed failures.
    if let Some(rest) = n.strip_prefix("1980000") {
        match rest.as_bytes().first() {
            Some(b'0') => {
                return refuse(
                    "111002",
                    "黑名单号码用户",
                    "magic number: blacklisted".into(),
                )
            }
            Some(b'1') => {
                return refuse(
                    "105002",
                    "移动网关取号失败",
                    "magic number: gateway fetch fails".into(),
                )
            }
            Some(b'2') => return refuse("103211", "其他错误", "magic number: other error".into()),
            Some(b'3') => return refuse("999999", "系统异常", "magic number: system error".into()),
            _ => {}
        }
    }
    n.parse().map_or_else(
        |_| {
            refuse(
                "111002",
                "网关未插入手机号-116",
                "unparseable number".into(),
            )
        },
        Fetch::Number,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(number: &str, net: Net) -> Device {
        Device {
            number: number.into(),
            net,
            source: DeviceSource::Header,
        }
    }

    #[test]
    fn outcomes_are_deterministic() {
        let code = |d: &Device| match fetch(Some(d)) {
            Fetch::Number(_) => "103000",
            Fetch::Refused { code, .. } => code,
        };
        assert_eq!(code(&dev("13800138000", Net::Cellular4g)), "103000");
        assert_eq!(code(&dev("13800138000", Net::Wifi)), "111002");
        assert_eq!(code(&dev("18612345678", Net::Cellular4g)), "111002");
        assert_eq!(code(&dev("1440123456789", Net::Cellular4g)), "103609");
        assert_eq!(code(&dev("19800000001", Net::Cellular4g)), "111002");
        assert_eq!(code(&dev("19800001001", Net::Cellular4g)), "105002");
        assert_eq!(code(&dev("19800002001", Net::Cellular4g)), "103211");
        assert_eq!(code(&dev("19800003001", Net::Cellular4g)), "999999");
        assert_eq!(code(&dev("1380013", Net::Cellular4g)), "111002");
        assert_eq!(fetch(None), fetch(None));
    }

    #[test]
    fn device_spec() {
        assert_eq!(
            parse_device_spec("13800138000; wifi"),
            Some(("13800138000".into(), Net::Wifi))
        );
        assert_eq!(
            parse_device_spec("phone=13800138000,net=5g"),
            Some(("13800138000".into(), Net::Cellular5g))
        );
        assert_eq!(parse_device_spec("wifi"), Some((String::new(), Net::Wifi)));
        assert_eq!(parse_device_spec("<script>"), None);
        assert_eq!(parse_device_spec(""), None);
    }
}

//! Result codes of both platforms in one table: the carrier's Chinese text, an English
//! explanation, whether retrying the same request can help, and a fix hint (from seed 004's
//! troubleshooting appendix where it has one).
//!
//! Codes are open: [`Code`] holds any string, so a code the carrier adds tomorrow still parses;
//! [`Code::info`] simply finds nothing for it. Some codes carry two meanings in the seeds
//! (110022, 110025, 111002, 120009, 120010); each meaning is its own row, and
//! [`Code::infos`] returns all of them.
//!
//! OneLink publishes only `0` and `12021` in seed 000; the other OneLink rows are the sandbox's
//! documented choices (`source: Source::Choice`, `seen_in` naming the interfaces) and live here
//! so a real table can replace them.

use serde::{Deserialize, Serialize};

/// Which carrier platform a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Platform {
    /// The auth platform (cmpassport): H5/mini-program number verification, UAID.
    Passport,
    /// OneLink: IoT-card real-name registration.
    OneLink,
}

/// Where a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// Stated by a seed document.
    Seed,
    /// Not in a carrier document, but shown by public client code of the platform ("public
    /// integrations" in docs/PROTOCOL-NOTES.md).
    Integrations,
    /// Not published; the project's documented assumption ("our choice" in docs/PROTOCOL-NOTES.md).
    Choice,
}

/// One meaning of one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    /// The platform that answers with this code.
    pub platform: Platform,
    /// The code as it appears on the wire (`resultCode`, `status`), digits only.
    pub code: &'static str,
    /// The carrier's own text.
    pub zh: &'static str,
    /// An English explanation of the meaning (cmcc's wording, not the carrier's).
    pub en: &'static str,
    /// Whether sending the same request again later can succeed.
    pub retryable: bool,
    /// What to change so the call succeeds, when there is advice (seed 004's troubleshooting
    /// appendix where it has an entry).
    pub hint: Option<&'static str>,
    /// Where it appears: seed section or interface.
    pub seen_in: &'static str,
    /// Whether a carrier document, public integrations or our choice gives this meaning.
    pub source: Source,
    /// Whether the carrier bills a call ending with this code (verify: 000 and 001).
    pub billable: bool,
}

const fn row(
    platform: Platform,
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    retryable: bool,
    hint: Option<&'static str>,
    seen_in: &'static str,
) -> CodeInfo {
    CodeInfo {
        platform,
        code,
        zh,
        en,
        retryable,
        hint,
        seen_in,
        source: Source::Seed,
        billable: false,
    }
}

const fn choice(
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    retryable: bool,
    hint: Option<&'static str>,
) -> CodeInfo {
    CodeInfo {
        platform: Platform::OneLink,
        code,
        zh,
        en,
        retryable,
        hint,
        seen_in: "OneLink v5 interfaces",
        source: Source::Choice,
        billable: false,
    }
}

/// A OneLink code that public integrations show.
const fn seen(
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    retryable: bool,
    hint: Option<&'static str>,
    seen_in: &'static str,
) -> CodeInfo {
    CodeInfo {
        source: Source::Integrations,
        seen_in,
        ..choice(code, zh, en, retryable, hint)
    }
}

use Platform::{OneLink as O, Passport as P};

const HINT_KEYS: &str = "Check the key pair: generate it with `cmcc keygen` (RsaUtils-compatible), register exactly the \
printed public key on the open platform, sign with its private key using MD5withRSA over the fields in name order, and \
encrypt phoneNum with the PLATFORM public key. `cmcc verify` prints the sign string it checks.";

const HINT_TEST_ENV: &str = "Production: capture the real code from the JSSDK's request and look it up (`cmcc codes CODE`). \
Test environment: tokens are simulated, so expandParams must carry phoneNum=<number>.";

/// Every known meaning of every code.
pub static TABLE: &[CodeInfo] = &[
    // ---- auth platform: getToken / getTokenInfo / UAID getMobile (seeds 001 §3.2.3, 002 §3.1.3)
    row(P, "103000", "成功", "Token issued.", false, None, "getToken/getTokenInfo/getMobile"),
    row(P, "500", "图片请求失败", "The JSSDK's number fetch failed; the page gets this wrapper code for every failure of the fetch step.", false,
        Some(HINT_TEST_ENV), "seed 004 §4, appendix"),
    row(P, "103101", "错误的请求签名", "The getToken sign does not match.", false,
        Some("getTokenInfo/getMobile: sign = lowercase MD5(appId+businessType+msgId+timestamp+traceId+version+appKey) with msgId equal to traceId. H5 getToken: the sign is your server's MD5withRSA signature of the preSign. Try `cmcc md5-sign`."), "seed 001 §3.2.3"),
    row(P, "103111", "WAP 网关 IP 错误", "The request did not come through China Mobile's WAP gateway.", false,
        Some("The device is not on China Mobile cellular data; offer another login method."), "seed 001 §3.2.3"),
    row(P, "103211", "其他错误", "Other error.", false, None, "seed 001 §3.2.3"),
    row(P, "103605", "加密方式或密钥值为空", "Encryption mode or key is empty for this app.", false,
        Some("A production app is calling the test environment address, or the open-platform configuration has not taken effect yet."), "seed 004 §3.2.2"),
    row(P, "103609", "物联网 IP 不允许取号", "IoT (物联网) numbers cannot get a token.", false,
        Some("The device uses an IoT card; number verification is for personal mobile numbers."), "seed 001 §3.2.3"),
    row(P, "105002", "移动网关取号失败", "The mobile gateway failed to return the number.", true,
        Some("Transient gateway failure; let the user retry once, then fall back to another login method."), "seed 001 §3.2.3"),
    row(P, "105112", "时间戳非法", "The timestamp is malformed or too far from platform time.", false,
        Some("timestamp must be 17 digits yyyyMMddHHmmssSSS in China time (UTC+8); check the server clock."), "seed 001 §3.2.3"),
    row(P, "110004", "IP不在白名单", "The calling server's IP is not on the app's allow-list.", false,
        Some("The egress IP registered on the open platform differs from the server's real egress IP; register the real one."), "seed 002 §3.2.3, 004 §3.2.2"),
    row(P, "110022", "应用ID不存在", "The appId does not exist.", false,
        Some("appId is mistyped or not configured on the open platform."), "seed 002 §3.1.3 and §3.2.3, seed 004 §3.2.2"),
    row(P, "110022", "权益已失效", "The capability's validity period has ended.", false,
        Some("Check the online/offline time configured for the capability."), "seed 002 §3.1.3"),
    row(P, "110023", "应用没有权益", "The app is not entitled to this capability.", false,
        Some("Enable the capability (businessType) for this appId on the open platform."), "seeds 001, 002, 004"),
    row(P, "110024", "businessType 配置错误", "businessType is misconfigured for the app.", false,
        Some("Mini-program getTokenInfo uses businessType 5, UAID uses 3."), "seed 001 §3.2.3"),
    row(P, "110025", "权益已失效", "The capability has expired.", false,
        Some("Check the offline time on the capability configuration page."), "seeds 001, 002, 004"),
    row(P, "110025", "businessType 错误", "Wrong businessType.", false,
        Some("Mini-program getTokenInfo uses businessType 5, UAID uses 3."), "seed 001 §3.2.3"),
    row(P, "110027", "能力不可用", "The capability is unavailable.", false,
        Some("Usually no contract is bound, the contract balance is used up, or a new open-platform configuration has not taken effect."), "seed 004 §3.2.2"),
    row(P, "111002", "黑名单号码用户", "The number is blacklisted.", false, Some("Offer another login method."), "seeds 001, 002"),
    row(P, "111002", "网关未插入手机号", "The gateway inserted no number: not a China Mobile number, or not on cellular data.", false,
        Some("The user is on another carrier's data network or on WiFi; offer another login method."), "seed 002 §3.1.3, 004 appendix"),
    row(P, "111075", "使用次数为0", "The app's usage count is exhausted.", false, Some("Top up the usage package on the open platform."), "seed 004 §3.2.2"),
    row(P, "120009", "token重复校验或已失效", "The UAID token was already used or has expired (5-minute lifetime).", false,
        Some("Get a new token; validate each token once, within 5 minutes, with the userInformation it came with."), "seed 002 §3.2.3"),
    row(P, "120010", "refer或origin校验失败", "Referer or origin check failed for UAID.", false,
        Some("Register the page URL (ending in /) as referer and scheme://host[:port] (no trailing /) as origin."), "seed 002 §3.2.3"),
    row(P, "120010", "refer或origin不存在", "No referer/origin is registered for the app.", false,
        Some("Register referer and origin for the app on the open platform."), "seed 002 §3.2.3"),
    row(P, "120020", "token校验失败", "Token check failed: expired (1 minute), reused, or userInformation missing or mis-encoded.", false,
        Some("Verify within one minute of getToken, once per token, passing userInformation exactly as the JSSDK returned it."), "seed 004 §3.2.2, appendix"),
    row(P, "121011", "号码校验次数超限", "The number hit its daily verification cap.", false,
        Some("The default cap is 10 verifications per number per day (China time); it can be changed on the open platform."), "seed 004 §3.2.2, appendix"),
    row(P, "130010", "参数为空", "A required parameter is empty.", false,
        Some("Fill appId, msgId, timestamp and the other required fields. A production app calling the test environment gets no token and ends here."), "seeds 001, 002, 004"),
    row(P, "130016", "解码失败", "Decoding failed (signature or phoneNum could not be decoded).", false, Some(HINT_KEYS), "seed 004 appendix"),
    row(P, "130018", "验证签名失败", "Signature verification failed.", false, Some(HINT_KEYS), "seeds 002, 004"),
    row(P, "130032", "解析参数错误", "The request body could not be parsed.", false,
        Some("Send standard JSON with Content-Type application/json."), "seeds 002, 004"),
    row(P, "140005", "请求过于频繁", "Too many getToken requests for this appId (10,000 per minute by default).", true,
        Some("Back off and retry after the current minute."), "seed 002 §3.1.3"),
    row(P, "170001", "referer或origin校验失败", "Referer or origin check failed for H5.", false,
        Some("HTTPS cross-origin requests can send an empty referer: add <meta content=\"always\" name=\"referrer\">. Register the full page URL ending in / as referer, and the origin without a trailing /."), "seed 004 appendix"),
    row(P, "999999", "系统异常", "System error: network trouble, or phoneNum could not be decrypted.", true,
        Some("Retry once; if it persists, check phoneNum encryption (platform public key, phone+appKey+timestamp)."), "seeds 002, 004"),
    CodeInfo { billable: true, ..row(P, "000", "是本机号码", "The number is the device's own number.", false, None, "seed 004 §3.2.2") },
    CodeInfo { billable: true, ..row(P, "001", "非本机号码", "The number is not the device's number.", false,
        Some("The user typed another number, or the device is on someone else's data (hotspot)."), "seed 004 §3.2.2") },
    row(P, "000000", "成功", "UAID token valid; the UAID is returned.", false, None, "seed 002 §3.2.3"),
    // ---- OneLink (seed 000)
    row(O, "0", "正确", "Success.", false, None, "seed 000"),
    row(O, "12021", "TOKEN不存在或已过期，请重新获取", "The token is unknown or expired.", true,
        Some("Fetch a new token with /v5/ec/get/token and retry once; tokens live 3600 s."), "seed 000 §2.1"),
    choice("13000", "系统繁忙，请稍后再试", "The platform is busy.", true, Some("Retry idempotent queries with backoff; do not blindly retry a registration request.")),
    choice("999999", "系统异常", "Platform error.", true, Some("Retry idempotent queries with backoff.")),
    choice("12001", "参数错误", "A parameter is missing or malformed.", false, Some("Check required fields: transid, token, and exactly one of msisdn/iccid/imsi.")),
    choice("12002", "APPID或密码错误", "appid or password is wrong.", false, Some("Use the appid and API password of the OneLink capability platform account.")),
    choice("12003", "transid格式错误", "transid does not follow appid + yyyyMMddHHmmss + 8 digits.", false, Some("Build transid as appid + China-time yyyyMMddHHmmss + an 8-digit sequence.")),
    choice("12004", "msisdn、iccid、imsi必须有且只有一项", "Exactly one of msisdn, iccid, imsi is required.", false, None),
    choice("12005", "urlType不支持", "urlType is not supported (1 and 4 are withdrawn; use 3 or 6).", false, Some("Use urlType 3 inside a WeChat mini-program, 6 elsewhere.")),
    choice("12011", "卡号不存在或不属于该集团客户", "The card does not exist or does not belong to this enterprise.", false, Some("Check the card id and the account it belongs to.")),
    choice("12012", "同一卡号同一类型一分钟内仅可调用一次", "One registration request per card per urlType per minute.", true, Some("Reuse the link you got; wait a minute before asking again.")),
    choice("12013", "该卡已完成实名登记", "The card is already real-name registered.", false, Some("Query 23A23 for its status; nothing to do.")),
    choice("12014", "该卡状态不允许实名登记", "The card's state does not allow registration.", false, None),
    // ---- OneLink fleet APIs (public integrations; the texts are cmcc's where none is public)
    seen("12047", "该卡已处于开通/激活状态", "The card (or its data) is already on / active: nothing changed.", false,
        Some("Treat it as done: the card is already in the state you asked for."), "23M07, 23S03 (clients treat it as success)"),
    seen("12048", "该卡已处于关闭/停机状态", "The card (or its data) is already off / stopped: nothing changed.", false,
        Some("Treat it as done: the card is already in the state you asked for."), "23M07, 23S03 (clients treat it as success)"),
    choice("12015", "同一卡号同类操作过于频繁", "The same change for this card was made too recently.", true,
        Some("Changes to one card are allowed once per window (3 minutes by default); wait and check the card's status before asking again.")),
    choice("12016", "批量卡号数量超过限制", "A batch takes at most 100 cards, joined by _.", false,
        Some("Split the cards into batches of 100 or fewer (the SDK's batch helper does).")),
    choice("12017", "当前状态不允许该操作", "The card's current status does not allow this change.", false,
        Some("Query 25S04 for the card's status; each operType starts from one status.")),
    choice("12018", "jobId不存在", "No such batch job for this enterprise.", false,
        Some("Use the jobId 23S06 answered, with the same appid.")),
    choice("12019", "APN不存在", "The card has no such APN.", false,
        Some("Use an APN name the card has (25U04 lists them).")),
    choice("12030", "调用频率超限", "Too many calls per second for this enterprise.", true,
        Some("Throttle the calls; back off and retry queries.")),
];

/// A result code as the carrier sent it. Any string is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Code(pub String);

impl Code {
    /// A code from any string; it is not checked against the table.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The code as the carrier sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// All meanings of this code on a platform.
    pub fn infos(&self, platform: Platform) -> impl Iterator<Item = &'static CodeInfo> + '_ {
        TABLE
            .iter()
            .filter(move |r| r.platform == platform && r.code == self.0)
    }
    /// The first (main) meaning on a platform.
    pub fn info(&self, platform: Platform) -> Option<&'static CodeInfo> {
        self.infos(platform).next()
    }
    /// The row whose Chinese text matches what the carrier said, else the main meaning.
    pub fn info_for_desc(&self, platform: Platform, desc: &str) -> Option<&'static CodeInfo> {
        self.infos(platform)
            .find(|r| desc.contains(r.zh))
            .or_else(|| self.info(platform))
    }
    /// Whether the main meaning on `platform` is retryable; `false` for a code not in the table.
    pub fn retryable(&self, platform: Platform) -> bool {
        self.info(platform).is_some_and(|i| i.retryable)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Code {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// Every meaning of a code on any platform (what `cmcc codes CODE` prints).
pub fn lookup(code: &str) -> Vec<&'static CodeInfo> {
    TABLE.iter().filter(|r| r.code == code.trim()).collect()
}

/// Auth-platform codes the sandbox returns (used by tests to prove each is reachable).
pub fn passport_codes() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    TABLE
        .iter()
        .filter(|r| r.platform == P)
        .filter_map(move |r| {
            if seen.contains(&r.code) {
                None
            } else {
                seen.push(r.code);
                Some(r.code)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete() {
        for r in TABLE {
            assert!(
                !r.code.is_empty() && !r.zh.is_empty() && !r.en.is_empty(),
                "{r:?}"
            );
            assert!(r.code.bytes().all(|b| b.is_ascii_digit()), "{r:?}");
        }
    }

    #[test]
    fn only_verify_results_are_billable() {
        let billable: Vec<_> = TABLE
            .iter()
            .filter(|r| r.billable)
            .map(|r| r.code)
            .collect();
        assert_eq!(billable, ["000", "001"]);
    }

    #[test]
    fn ambiguous_codes_pick_by_description() {
        let c = Code::from("110022");
        assert_eq!(c.infos(Platform::Passport).count(), 2);
        assert_eq!(
            c.info_for_desc(Platform::Passport, "权益已失效")
                .unwrap()
                .en,
            "The capability's validity period has ended."
        );
        assert_eq!(
            c.info_for_desc(Platform::Passport, "???").unwrap().zh,
            "应用ID不存在"
        );
    }

    #[test]
    fn unknown_code_parses_and_has_no_info() {
        let c: Code = serde_json::from_str("\"424242\"").unwrap();
        assert!(c.info(Platform::Passport).is_none());
        assert!(!c.retryable(Platform::OneLink));
        assert!(Code::from("12021").retryable(Platform::OneLink));
    }

    #[test]
    fn every_code_named_in_the_seeds_is_in_the_table() {
        let seed_codes = [
            "103000", "130010", "105112", "103101", "110024", "110025", "110023", "103111",
            "111002", "103609", "105002", "103211", "110022", "130032", "140005", "999999",
            "000000", "120009", "110004", "130018", "120010", "000", "001", "103605", "120020",
            "110027", "111075", "121011", "500", "170001", "130016",
        ];
        for c in seed_codes {
            assert!(Code::from(c).info(Platform::Passport).is_some(), "{c}");
        }
        assert!(Code::from("12021").info(Platform::OneLink).is_some());
        assert_eq!(passport_codes().filter(|c| *c == "110022").count(), 1);
    }
}

//! Identifiers and secrets at the edge of the protocol, validated once when they arrive.
//!
//! Phone numbers print masked (`139****4444`) through `Display` and `Debug`, so a number that
//! reaches a log line is already masked; the full value is only available through
//! [`Phone::as_str`]. Secrets print nothing useful at all.

use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Not an 11-digit number starting with 1.
    #[error("phone number must be 11 digits starting with 1")]
    Phone,
    /// Not 1 to 13 digits (seed 000 §2.1: msisdn "最长 13 位数字").
    #[error("msisdn must be 1 to 13 digits")]
    Msisdn,
    /// Not 19 or 20 ASCII letters and digits (seed 000 §2.1 says 20; 19 is accepted for older
    /// cards, our choice).
    #[error("iccid must be 19 or 20 letters or digits (e.g. 898600D6991330004146)")]
    Iccid,
    /// Not 6 to 15 digits (seed 000 §2.1: "不超过 15 位"; the minimum of 6 is our choice).
    #[error("imsi must be 6 to 15 digits")]
    Imsi,
    /// None or several of msisdn, iccid, imsi were given; how many.
    #[error("exactly one of msisdn, iccid, imsi is required; {0} given")]
    CardCount(usize),
    /// Not 17 digits followed by a digit or `X`.
    #[error("resident id must be 17 digits and a check character (digit or X)")]
    ResidentIdFormat,
    /// Digits 7-14 (`yyyyMMdd`, quoted) are not a calendar date.
    #[error("resident id birth date {0} is not a real date")]
    ResidentIdDate(String),
    /// The 18th character is not the ISO 7064 MOD 11-2 check character of the first 17.
    #[error("resident id check character is {found}, expected {expected}")]
    ResidentIdCheck {
        /// The 18th character as given.
        found: char,
        /// The check character the first 17 digits call for.
        expected: char,
    },
}

/// Mask all but the first 3 and last 4 characters (`13999994444` → `139****4444`).
pub fn mask_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A mainland mobile number, 11 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parse a number, surrounding whitespace ignored.
    ///
    /// # Errors
    ///
    /// [`IdError::Phone`] when it is not 11 digits starting with 1.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Phone)
        }
    }
    /// The full number. Never log this; log the value itself (it displays masked).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number with all but the first 3 and last 4 digits starred (`139****4444`).
    pub fn masked(&self) -> String {
        mask_number(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}
impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}
impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}
impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

macro_rules! card_id_type {
    ($name:ident, $doc:literal, $check:expr, $err:expr) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parse the value, surrounding whitespace ignored, letters uppercased.
            ///
            /// # Errors
            ///
            /// This type's [`IdError`] variant when the value does not have the form above.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let s = s.trim();
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_ascii_uppercase()))
                } else {
                    Err($err)
                }
            }
            /// The full value as sent on the wire. Never log this; log the value itself (it
            /// displays masked).
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&mask_number(&self.0))
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), mask_number(&self.0))
            }
        }
    };
}

card_id_type!(
    Msisdn,
    "An IoT card's number: up to 13 digits (11-digit phone segments, 13-digit IoT segments).",
    |s| (1..=13).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
    IdError::Msisdn
);
card_id_type!(
    Iccid,
    "Integrated circuit card id: 20 characters (19 on old cards); China Mobile's contain letters.",
    |s| (19..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()),
    IdError::Iccid
);
card_id_type!(
    Imsi,
    "International mobile subscriber identity: up to 15 digits.",
    |s| (6..=15).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
    IdError::Imsi
);

/// The card a OneLink request is about: the seed requires exactly one of msisdn, iccid, imsi.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CardId {
    /// The card's number (`msisdn`).
    Msisdn(Msisdn),
    /// The SIM's ICCID (`iccid`).
    Iccid(Iccid),
    /// The subscriber's IMSI (`imsi`).
    Imsi(Imsi),
}

impl CardId {
    /// Build from the three optional request fields; empty strings count as absent.
    ///
    /// # Errors
    ///
    /// [`IdError::CardCount`] unless exactly one field is present; [`IdError::Msisdn`],
    /// [`IdError::Iccid`] or [`IdError::Imsi`] when that one is malformed.
    pub fn from_fields(
        msisdn: Option<&str>,
        iccid: Option<&str>,
        imsi: Option<&str>,
    ) -> Result<Self, IdError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|s| !s.is_empty())
        }
        let (m, c, i) = (present(msisdn), present(iccid), present(imsi));
        let count = [m, c, i].iter().filter(|v| v.is_some()).count();
        if count != 1 {
            return Err(IdError::CardCount(count));
        }
        if let Some(m) = m {
            return Ok(CardId::Msisdn(Msisdn::parse(m)?));
        }
        if let Some(c) = c {
            return Ok(CardId::Iccid(Iccid::parse(c)?));
        }
        Ok(CardId::Imsi(Imsi::parse(i.unwrap_or_default())?))
    }

    /// The request field name this id travels in.
    pub fn field(&self) -> &'static str {
        match self {
            CardId::Msisdn(_) => "msisdn",
            CardId::Iccid(_) => "iccid",
            CardId::Imsi(_) => "imsi",
        }
    }

    /// The full value as sent in [`field`](Self::field). Never log this; log the id itself (it
    /// displays masked).
    pub fn value(&self) -> &str {
        match self {
            CardId::Msisdn(v) => v.as_str(),
            CardId::Iccid(v) => v.as_str(),
            CardId::Imsi(v) => v.as_str(),
        }
    }

    /// `(msisdn, iccid, imsi)` with exactly one set, for filling request structs.
    pub fn fields(&self) -> (Option<String>, Option<String>, Option<String>) {
        match self {
            CardId::Msisdn(v) => (Some(v.as_str().to_owned()), None, None),
            CardId::Iccid(v) => (None, Some(v.as_str().to_owned()), None),
            CardId::Imsi(v) => (None, None, Some(v.as_str().to_owned())),
        }
    }
}

impl std::fmt::Display for CardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.field(), mask_number(self.value()))
    }
}

/// A PRC resident identity card number (18 characters, ISO 7064 MOD 11-2 check character) —
/// the only document the OneLink API's real-name registration accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId(String);

impl ResidentId {
    /// The check character for the first 17 digits.
    pub fn check_char(first17: &str) -> Option<char> {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
        if first17.len() != 17 {
            return None;
        }
        let mut sum = 0u32;
        for (c, w) in first17.chars().zip(WEIGHTS) {
            sum += c.to_digit(10)? * w;
        }
        Some(CHARS[(sum % 11) as usize])
    }

    /// Parse and check an id number, surrounding whitespace ignored, `x` read as `X`.
    ///
    /// # Errors
    ///
    /// [`IdError::ResidentIdFormat`] when it is not 17 digits and a digit or `X`;
    /// [`IdError::ResidentIdDate`] when the birth date is not a real date;
    /// [`IdError::ResidentIdCheck`] when the check character is wrong.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() != 18 || !s.is_ascii() {
            return Err(IdError::ResidentIdFormat);
        }
        let (body, last) = s.split_at(17);
        let found = last.chars().next().ok_or(IdError::ResidentIdFormat)?;
        if !body.bytes().all(|b| b.is_ascii_digit()) || !(found.is_ascii_digit() || found == 'X') {
            return Err(IdError::ResidentIdFormat);
        }
        let birth = &body[6..14];
        if chrono::NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
            return Err(IdError::ResidentIdDate(birth.to_owned()));
        }
        let expected = Self::check_char(body).ok_or(IdError::ResidentIdFormat)?;
        if found != expected {
            return Err(IdError::ResidentIdCheck { found, expected });
        }
        Ok(Self(s))
    }

    /// The full number (uppercase `X`). Never log this; its `Debug` shows only 2 + 2
    /// characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResidentId({}…{})", &self.0[..2], &self.0[16..])
    }
}

/// A secret (appKey, OneLink password, token). `Debug` and `Display` print `***`, so it can sit
/// in a struct that gets logged.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself, for signing or sending. Never log this.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether the secret is the empty string (not configured).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}
impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_masks_everywhere() {
        let p = Phone::parse("13999994444").unwrap();
        assert_eq!(p.to_string(), "139****4444");
        assert_eq!(format!("{p:?}"), "Phone(139****4444)");
        assert_eq!(p.as_str(), "13999994444");
        for bad in [
            "",
            "1399999444",
            "23999994444",
            "1399999444a",
            "139999944445",
        ] {
            assert_eq!(Phone::parse(bad), Err(IdError::Phone), "{bad}");
        }
    }

    #[test]
    fn card_id_exactly_one() {
        assert_eq!(
            CardId::from_fields(None, None, None),
            Err(IdError::CardCount(0))
        );
        assert_eq!(
            CardId::from_fields(Some("14765004176"), Some("898600D6991330004146"), None),
            Err(IdError::CardCount(2))
        );
        assert!(matches!(
            CardId::from_fields(Some(""), Some("898600D6991330004146"), None),
            Ok(CardId::Iccid(_))
        ));
        assert!(matches!(
            CardId::from_fields(None, None, Some("460079650004176")),
            Ok(CardId::Imsi(_))
        ));
        assert_eq!(
            CardId::from_fields(Some("12345678901234"), None, None),
            Err(IdError::Msisdn)
        );
        let c = CardId::from_fields(Some("1440292201313"), None, None).unwrap();
        assert_eq!(c.to_string(), "msisdn=144******1313");
    }

    #[test]
    fn resident_id_check_digit() {
        // GB 11643 example number.
        assert!(ResidentId::parse("11010519491231002X").is_ok());
        assert!(ResidentId::parse("11010519491231002x").is_ok());
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(IdError::ResidentIdCheck {
                found: '1',
                expected: 'X'
            })
        );
        assert_eq!(
            ResidentId::parse("110105194913310021"),
            Err(IdError::ResidentIdDate("19491331".into()))
        );
        assert_eq!(
            ResidentId::parse("1101051949123100"),
            Err(IdError::ResidentIdFormat)
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("AA03E6C60D0B0D14320B9A3F0B5AAD99");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }
}

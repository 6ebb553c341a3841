//! Outstanding tokens in a compact form: a 128-bit key and a 40-byte record, so a million
//! outstanding tokens fit in well under 256 bytes each. Expired tokens are swept.

use std::collections::BTreeMap;

use parking_lot::Mutex;

/// What a token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRec {
    /// Virtual-clock milliseconds since the epoch after which the token is dead.
    pub expires_ms: i64,
    /// The device number, as a number (11-digit mobile or 13-digit IoT numbers fit).
    pub number: u64,
    /// FNV-1a of the normalised `userInformation` it was issued with.
    pub fingerprint: u64,
    /// [`super::tenant::App::idx`] of the app it was issued to.
    pub app: u32,
    /// Journal id of the getToken request (diagnostics of referer/origin for UAID).
    pub journal: u32,
    /// [`super::tenant::Product::as_u8`].
    pub product: u8,
    /// Referer/origin check at getToken time (UAID, seed 002 120010): 0 ok, 1 nothing
    /// registered or seen, 2 mismatch.
    pub referer_origin: u8,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Never issued, malformed, or already used.
    Unknown,
    Expired,
}

/// Prefix of every token the sandbox issues (seed 002's examples: `H5HTTPS` + 32 hex digits).
pub const TOKEN_PREFIX: &str = "H5HTTPS";

/// The outstanding tokens.
#[derive(Debug, Default)]
pub struct TokenStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: BTreeMap<u128, TokenRec>,
    last_sweep_ms: i64,
}

/// How often issuing sweeps expired tokens, in virtual milliseconds.
const SWEEP_EVERY_MS: i64 = 5_000;

impl TokenStore {
    /// Store `rec` under a fresh random key and return the token string.
    pub fn issue(&self, rec: TokenRec, now_ms: i64) -> String {
        let mut g = self.inner.lock();
        if now_ms - g.last_sweep_ms >= SWEEP_EVERY_MS {
            g.last_sweep_ms = now_ms;
            g.map.retain(|_, r| r.expires_ms > now_ms);
        }
        loop {
            let key: u128 = rand::random();
            if let std::collections::btree_map::Entry::Vacant(e) = g.map.entry(key) {
                e.insert(rec);
                return format!("{TOKEN_PREFIX}{key:032X}");
            }
        }
    }

    /// Take a token out (tokens are single use), checking its lifetime.
    ///
    /// # Errors
    ///
    /// [`TokenError::Unknown`] for a token not issued, malformed or already taken;
    /// [`TokenError::Expired`] when its lifetime ended (it is taken out all the same).
    pub fn take(&self, token: &str, now_ms: i64) -> Result<TokenRec, TokenError> {
        let key = parse(token).ok_or(TokenError::Unknown)?;
        let rec = self
            .inner
            .lock()
            .map
            .remove(&key)
            .ok_or(TokenError::Unknown)?;
        if rec.expires_ms <= now_ms {
            Err(TokenError::Expired)
        } else {
            Ok(rec)
        }
    }

    /// Drop every expired token; returns how many were dropped.
    pub fn sweep(&self, now_ms: i64) -> usize {
        let mut g = self.inner.lock();
        let before = g.map.len();
        g.last_sweep_ms = now_ms;
        g.map.retain(|_, r| r.expires_ms > now_ms);
        before - g.map.len()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.inner.lock().map.clear();
    }
}

fn parse(token: &str) -> Option<u128> {
    let t = token.trim();
    let hex = t
        .get(..TOKEN_PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(TOKEN_PREFIX))?;
    let rest = &t[hex.len()..];
    if rest.len() != 32 {
        return None;
    }
    u128::from_str_radix(rest, 16).ok()
}

/// FNV-1a 64 of a fingerprint after undoing url-encoding, so `%2B` and `+` compare equal.
pub fn fingerprint_hash(user_information: &str) -> u64 {
    let decoded = percent_encoding::percent_decode_str(user_information.trim()).decode_utf8_lossy();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in decoded.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(expires_ms: i64) -> TokenRec {
        TokenRec {
            expires_ms,
            number: 13_800_138_000,
            fingerprint: 1,
            app: 0,
            journal: 0,
            product: 0,
            referer_origin: 0,
        }
    }

    #[test]
    fn single_use_and_expiry() {
        let s = TokenStore::default();
        let t = s.issue(rec(1_000), 0);
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 32);
        assert_eq!(s.take(&t, 10).map(|r| r.number), Ok(13_800_138_000));
        assert_eq!(s.take(&t, 10), Err(TokenError::Unknown));
        let t2 = s.issue(rec(1_000), 0);
        assert_eq!(s.take(&t2, 1_000), Err(TokenError::Expired));
        assert_eq!(s.take("garbage", 0), Err(TokenError::Unknown));
        assert_eq!(s.take("H5HTTPSZZ", 0), Err(TokenError::Unknown));
    }

    #[test]
    fn expired_tokens_are_reclaimed() {
        let s = TokenStore::default();
        for _ in 0..100 {
            s.issue(rec(1_000), 0);
        }
        s.issue(rec(100_000), 0);
        assert_eq!(s.len(), 101);
        assert_eq!(s.sweep(2_000), 100);
        assert_eq!(s.len(), 1);
        // Issuing sweeps on its own once enough virtual time has passed.
        for _ in 0..10 {
            s.issue(rec(50_000), 2_001);
        }
        s.issue(rec(200_000), 60_000);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn record_is_compact() {
        assert!(std::mem::size_of::<TokenRec>() <= 40);
    }

    #[test]
    fn fingerprints_ignore_url_encoding() {
        assert_eq!(fingerprint_hash("a%2Bb%3D"), fingerprint_hash("a+b="));
        assert_ne!(fingerprint_hash("a"), fingerprint_hash("b"));
    }
}

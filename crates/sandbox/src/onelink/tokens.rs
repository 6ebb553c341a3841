//! Tokens of `/v5/ec/get/token`: random, `ttl` seconds, per enterprise, under the virtual clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::config::OldTokenPolicy;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    appid: String,
    expires: DateTime<Utc>,
}

/// Serialisable: kept in the OneLink state file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tokens {
    by_token: BTreeMap<String, Entry>,
    /// Newest token per appid.
    current: BTreeMap<String, String>,
}

/// A token handed out: the token and its remaining lifetime in seconds.
#[derive(Debug)]
pub struct Issued {
    pub token: String,
    pub ttl: u64,
}

impl Tokens {
    /// `refresh == false`: hand back the current valid token if there is one.
    pub fn issue(
        &mut self,
        appid: &str,
        now: DateTime<Utc>,
        ttl_secs: u64,
        policy: OldTokenPolicy,
        refresh: bool,
    ) -> Issued {
        self.by_token.retain(|_, e| e.expires > now);
        if !refresh {
            if let Some(t) = self.current.get(appid) {
                if let Some(e) = self.by_token.get(t) {
                    let left = (e.expires - now).num_seconds().max(1);
                    return Issued {
                        token: t.clone(),
                        ttl: u64::try_from(left).unwrap_or(1),
                    };
                }
            }
        }
        if policy == OldTokenPolicy::Revoke {
            self.by_token.retain(|_, e| e.appid != appid);
        }
        let token = random_hex(16);
        let ttl = i64::try_from(ttl_secs).unwrap_or(3600);
        self.by_token.insert(
            token.clone(),
            Entry {
                appid: appid.to_owned(),
                expires: now + Duration::seconds(ttl),
            },
        );
        self.current.insert(appid.to_owned(), token.clone());
        Issued {
            token,
            ttl: ttl_secs,
        }
    }

    /// The enterprise a valid token belongs to.
    pub fn check(&self, token: &str, now: DateTime<Utc>) -> Option<&str> {
        self.by_token
            .get(token.trim())
            .filter(|e| e.expires > now)
            .map(|e| e.appid.as_str())
    }

    /// Revoke every token (admin).
    pub fn clear(&mut self) {
        self.by_token.clear();
        self.current.clear();
    }

    pub fn count_valid(&self, now: DateTime<Utc>) -> usize {
        self.by_token.values().filter(|e| e.expires > now).count()
    }
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let now = Utc::now();
        let mut t = Tokens::default();
        let a = t.issue("x", now, 3600, OldTokenPolicy::Keep, true);
        assert_eq!(a.ttl, 3600);
        let b = t.issue("x", now, 3600, OldTokenPolicy::Keep, true);
        assert!(t.check(&a.token, now).is_some() && t.check(&b.token, now).is_some());
        let c = t.issue("x", now, 3600, OldTokenPolicy::Revoke, true);
        assert!(t.check(&a.token, now).is_none() && t.check(&b.token, now).is_none());
        let later = now + Duration::seconds(100);
        let d = t.issue("x", later, 3600, OldTokenPolicy::Revoke, false);
        assert_eq!(d.token, c.token);
        assert_eq!(d.ttl, 3500);
        assert!(t.check(&c.token, now + Duration::seconds(3600)).is_none());
    }
}

//! The single-instance backend: a map with expiries behind a mutex.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct MemoryShared {
    entries: std::sync::Mutex<BTreeMap<String, Entry>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) value: String,
    pub(crate) expires: Instant,
}

impl MemoryShared {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        // A panic while holding the lock cannot leave a half-written map (every update is one
        // insert/remove), so a poisoned lock is safe to keep using.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn live(map: &mut BTreeMap<String, Entry>, key: &str, now: Instant) -> Option<Entry> {
        match map.get(key) {
            Some(e) if e.expires > now => Some(e.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    pub(crate) fn reserve(&self, key: &str, limit: u64, window: Duration) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.lock();
        let (n, expires) = match Self::live(&mut map, key, now) {
            Some(e) => (e.value.parse::<u64>().unwrap_or(0), e.expires),
            None => (0, now + window),
        };
        if n >= limit {
            return None;
        }
        map.insert(
            key.to_owned(),
            Entry {
                value: (n + 1).to_string(),
                expires,
            },
        );
        // Keep the map from growing without bound: drop expired entries now and then.
        if map.len() % 1024 == 0 {
            map.retain(|_, e| e.expires > now);
        }
        Some(n + 1)
    }

    pub(crate) fn release(&self, key: &str) {
        let now = Instant::now();
        let mut map = self.lock();
        if let Some(mut e) = Self::live(&mut map, key, now) {
            let n = e.value.parse::<u64>().unwrap_or(0).saturating_sub(1);
            e.value = n.to_string();
            map.insert(key.to_owned(), e);
        }
    }

    pub(crate) fn count(&self, key: &str) -> u64 {
        Self::live(&mut self.lock(), key, Instant::now())
            .and_then(|e| e.value.parse().ok())
            .unwrap_or(0)
    }

    pub(crate) fn set_once(&self, key: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        if Self::live(&mut map, key, now).is_some() {
            return false;
        }
        map.insert(
            key.to_owned(),
            Entry {
                value: "1".into(),
                expires: now + ttl,
            },
        );
        true
    }

    pub(crate) fn delete(&self, key: &str) {
        self.lock().remove(key);
    }

    pub(crate) fn get(&self, key: &str) -> Option<String> {
        Self::live(&mut self.lock(), key, Instant::now()).map(|e| e.value)
    }

    pub(crate) fn put(&self, key: &str, value: String, ttl: Duration) {
        self.lock().insert(
            key.to_owned(),
            Entry {
                value,
                expires: Instant::now() + ttl,
            },
        );
    }

    /// Remove `key` if its value satisfies `pred`.
    pub(crate) fn remove_if(&self, key: &str, pred: impl Fn(&str) -> bool) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        match Self::live(&mut map, key, now) {
            Some(e) if pred(&e.value) => {
                map.remove(key);
                true
            }
            _ => false,
        }
    }
}

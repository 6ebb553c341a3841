//! Enterprises and the card inventory. Each card has one msisdn, one iccid and one imsi, indexed
//! three ways so a request naming any of them finds the same card.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cmcc_proto::ids::mask_number;
use cmcc_proto::time::{format_archive_time, parse_archive_time};
use cmcc_proto::{CardId, Secret};
use serde::{Deserialize, Serialize};

use cmcc_proto::wire::onelink::{BatchField, CardState};

use super::config::{
    CardConfig, OneLinkConfig, DEMO_APPID, DEMO_PASSWORD, OTHER_APPID, OTHER_PASSWORD,
};
use super::life::Life;

/// An enterprise account of the OneLink capability platform.
#[derive(Debug, Clone)]
pub struct Enterprise {
    pub appid: String,
    pub password: Secret,
    pub callback_url: Option<String>,
}

impl Enterprise {
    /// Constant-time password comparison.
    pub fn password_matches(&self, given: &str) -> bool {
        let a = self.password.expose().as_bytes();
        let b = given.as_bytes();
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// A finished real-name registration as 23A23 reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardRegistration {
    /// `01` user self-registration … `04` IoV.
    pub registration_type: String,
    pub archive_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub msisdn: String,
    pub iccid: String,
    pub imsi: String,
    pub appid: String,
    /// State forbids registration (12014).
    pub blocked: bool,
    /// Registrations on this card fail.
    pub fail_registration: bool,
    pub registration: Option<CardRegistration>,
    /// Status, dates, usage, session, functions (fleet APIs).
    #[serde(default)]
    pub life: Life,
}

/// 2024-01-01 00:00 China time: generated cards are opened on the days after it.
const OPENED_FROM_MS: i64 = 1_704_038_400_000;

impl Card {
    /// The card's numbers derived from a serial: consistent and unique per serial.
    pub fn from_serial(serial: u64, appid: &str) -> Self {
        Self {
            msisdn: format!("1440{:09}", serial % 1_000_000_000),
            iccid: format!("89860424{:012}", serial % 1_000_000_000_000),
            imsi: format!("460044{:09}", serial % 1_000_000_000),
            appid: appid.to_owned(),
            blocked: false,
            fail_registration: false,
            registration: None,
            life: Life::new(serial, OPENED_FROM_MS + (serial % 300) as i64 * 86_400_000),
        }
    }

    /// Registered as of `now` (the archive time has passed).
    pub fn registered_at(&self, now: DateTime<Utc>) -> Option<&CardRegistration> {
        self.registration.as_ref().filter(|r| r.archive_time <= now)
    }

    /// What the admin API shows.
    pub fn view(&self, now: DateTime<Utc>) -> serde_json::Value {
        serde_json::json!({
            "msisdn": self.msisdn,
            "iccid": self.iccid,
            "imsi": self.imsi,
            "appid": self.appid,
            "blocked": self.blocked,
            "failRegistration": self.fail_registration,
            "registered": self.registered_at(now).is_some(),
            "identityRegistrationType": self.registration.as_ref().map(|r| r.registration_type.clone()),
            "archiveTime": self.registration.as_ref().map(|r| format_archive_time(r.archive_time)),
            "life": self.life_view(now),
        })
    }

    /// The card's life as the fleet APIs would answer now (admin API and console).
    pub fn life_view(&self, now: DateTime<Utc>) -> serde_json::Value {
        let now_ms = now.timestamp_millis();
        let l = &self.life;
        serde_json::json!({
            "cardStatus": l.state,
            "state": l.state().en(),
            "stateZh": l.state().zh(),
            "status": l.status(),
            "basicInfo": l.basic_info(&self.msisdn, &self.iccid, &self.imsi),
            "imei": l.imei(&self.msisdn).imei,
            "dataOn": l.data_on,
            "usage": l.data_usage(now_ms),
            "margin": l.data_margin(now_ms),
            "sessions": l.sessions(&self.msisdn),
            "functions": l.function_status(),
            "changesRefused": l.changes_refused,
        })
    }
}

/// A magic card of the demo enterprise: fixed numbers, fixed outcome.
#[derive(Debug, Clone, Copy)]
pub struct Magic {
    pub serial: u64,
    pub what: &'static str,
}

/// Serials 1..=6 are the magic cards (MAGIC-ONELINK.md).
pub const MAGIC: &[Magic] = &[
    Magic { serial: 1, what: "unregistered; registration succeeds when the page's liveness step passes" },
    Magic { serial: 2, what: "already registered (type 01, archived 2024-10-21 09:30:00): 23A12 answers 12013" },
    Magic { serial: 3, what: "registration always fails (push regStatus \"0\", whatever the page says)" },
    Magic { serial: 4, what: "card state forbids registration (suspended): 23A12 answers 12014" },
    Magic { serial: 5, what: "belongs to the other enterprise: 23A12/23A23/23A10 answer 12011 for the demo enterprise" },
    Magic { serial: 6, what: "already registered as an IoV card (type 04, archived 2024-10-21 09:30:00)" },
    Magic { serial: 7, what: "stopped (停机): resume (operType 1) makes it active; stop answers 12048" },
    Magic { serial: 8, what: "pending activation (待激活), never activated: no IMEI, no active date" },
    Magic { serial: 9, what: "testing (可测试)" },
    Magic { serial: 10, what: "in stock (库存), never activated" },
    Magic { serial: 11, what: "pre-cancelled (预销户): every status change answers 12017" },
    Magic { serial: 12, what: "active with data switched off: no session, no usage; 23M07 off answers 12048" },
    Magic { serial: 13, what: "active; every change (status, data) answers 12015" },
];
const MAGIC_ARCHIVE: &str = "2024-10-21 09:30:00";
/// Generated cards take serials from here on.
const FIRST_GENERATED_SERIAL: u64 = 1000;

#[derive(Debug, Default)]
pub struct Inventory {
    pub enterprises: BTreeMap<String, Enterprise>,
    pub cards: Vec<Card>,
    by_msisdn: BTreeMap<String, usize>,
    by_iccid: BTreeMap<String, usize>,
    by_imsi: BTreeMap<String, usize>,
    next_serial: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("unknown enterprise {0}")]
    UnknownEnterprise(String),
    #[error("card number {0} is already in the inventory")]
    Duplicate(String),
    #[error("{0}")]
    Invalid(String),
}

impl Inventory {
    pub fn from_config(cfg: &OneLinkConfig, now: DateTime<Utc>) -> Result<Self, InventoryError> {
        let mut inv = Inventory {
            next_serial: FIRST_GENERATED_SERIAL,
            ..Default::default()
        };
        if cfg.demo {
            inv.upsert_enterprise(Enterprise {
                appid: DEMO_APPID.into(),
                password: Secret::new(DEMO_PASSWORD),
                callback_url: cfg.demo_callback_url.clone(),
            });
            inv.upsert_enterprise(Enterprise {
                appid: OTHER_APPID.into(),
                password: Secret::new(OTHER_PASSWORD),
                callback_url: None,
            });
            let archived = parse_archive_time(MAGIC_ARCHIVE)
                .map_err(|e| InventoryError::Invalid(e.to_string()))?;
            for m in MAGIC {
                let mut card = Card::from_serial(m.serial, DEMO_APPID);
                match m.serial {
                    2 | 6 => {
                        card.registration = Some(CardRegistration {
                            registration_type: if m.serial == 2 { "01" } else { "04" }.into(),
                            archive_time: archived,
                        });
                    }
                    3 => card.fail_registration = true,
                    4 => {
                        card.blocked = true;
                        card.life = card.life.in_state(CardState::Stopped);
                    }
                    5 => card.appid = OTHER_APPID.into(),
                    7 => card.life = card.life.in_state(CardState::Stopped),
                    8 => card.life = card.life.in_state(CardState::Pending),
                    9 => card.life = card.life.in_state(CardState::Testing),
                    10 => card.life = card.life.in_state(CardState::Stock),
                    11 => card.life = card.life.in_state(CardState::PreCancelled),
                    12 => card.life.data_on = false,
                    13 => card.life.changes_refused = true,
                    _ => {}
                }
                inv.add_card(card)?;
            }
        }
        for e in &cfg.enterprises {
            if e.appid.trim().is_empty() {
                return Err(InventoryError::Invalid(
                    "an enterprise has an empty appid".into(),
                ));
            }
            inv.upsert_enterprise(Enterprise {
                appid: e.appid.clone(),
                password: Secret::new(e.password.clone()),
                callback_url: e.callback_url.clone(),
            });
        }
        if cfg.demo {
            inv.generate(DEMO_APPID, cfg.demo_generate_cards)?;
        }
        for e in &cfg.enterprises {
            inv.generate(&e.appid, e.generate_cards)?;
        }
        for c in &cfg.cards {
            inv.add_configured(c, now)?;
        }
        Ok(inv)
    }

    /// Rebuild an inventory from saved parts (the OneLink state file).
    pub fn restore(
        enterprises: Vec<Enterprise>,
        cards: Vec<Card>,
        next_serial: u64,
    ) -> Result<Self, InventoryError> {
        let mut inv = Inventory {
            next_serial,
            ..Default::default()
        };
        for e in enterprises {
            inv.upsert_enterprise(e);
        }
        for c in cards {
            inv.add_card(c)?;
        }
        Ok(inv)
    }

    /// The serial the next generated card takes.
    pub fn next_serial(&self) -> u64 {
        self.next_serial
    }

    pub fn upsert_enterprise(&mut self, e: Enterprise) {
        self.enterprises.insert(e.appid.clone(), e);
    }

    fn add_configured(&mut self, c: &CardConfig, now: DateTime<Utc>) -> Result<(), InventoryError> {
        let bad = |e: cmcc_proto::ids::IdError| InventoryError::Invalid(e.to_string());
        let msisdn = cmcc_proto::ids::Msisdn::parse(&c.msisdn).map_err(bad)?;
        let iccid = cmcc_proto::ids::Iccid::parse(&c.iccid).map_err(bad)?;
        let imsi = cmcc_proto::ids::Imsi::parse(&c.imsi).map_err(bad)?;
        let registration = if c.registered {
            let archive_time = match &c.archive_time {
                Some(t) => {
                    parse_archive_time(t).map_err(|e| InventoryError::Invalid(e.to_string()))?
                }
                None => now,
            };
            Some(CardRegistration {
                registration_type: c.registration_type.clone().unwrap_or_else(|| "01".into()),
                archive_time,
            })
        } else {
            None
        };
        self.add_card(Card {
            msisdn: msisdn.as_str().to_owned(),
            iccid: iccid.as_str().to_owned(),
            imsi: imsi.as_str().to_owned(),
            appid: c.appid.clone(),
            blocked: c.blocked,
            fail_registration: c.fail_registration,
            registration,
            life: Life::new(0, now.timestamp_millis()),
        })
        .map(|_| ())
    }

    /// Add a card; its three numbers must all be new.
    pub fn add_card(&mut self, card: Card) -> Result<usize, InventoryError> {
        if !self.enterprises.contains_key(&card.appid) {
            return Err(InventoryError::UnknownEnterprise(card.appid));
        }
        for (index, key) in [
            (&self.by_msisdn, &card.msisdn),
            (&self.by_iccid, &card.iccid),
            (&self.by_imsi, &card.imsi),
        ] {
            if index.contains_key(key) {
                return Err(InventoryError::Duplicate(mask_number(key)));
            }
        }
        let i = self.cards.len();
        self.by_msisdn.insert(card.msisdn.clone(), i);
        self.by_iccid.insert(card.iccid.clone(), i);
        self.by_imsi.insert(card.imsi.clone(), i);
        self.cards.push(card);
        Ok(i)
    }

    /// Generate `count` cards for `appid` from the next free serials. Returns the first index.
    pub fn generate(&mut self, appid: &str, count: u32) -> Result<usize, InventoryError> {
        if !self.enterprises.contains_key(appid) {
            return Err(InventoryError::UnknownEnterprise(appid.to_owned()));
        }
        let first = self.cards.len();
        let mut made = 0;
        while made < count {
            let serial = self.next_serial;
            self.next_serial += 1;
            match self.add_card(Card::from_serial(serial, appid)) {
                Ok(_) => made += 1,
                // A configured card took these numbers: skip the serial.
                Err(InventoryError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(first)
    }

    pub fn find(&self, id: &CardId) -> Option<usize> {
        match id {
            CardId::Msisdn(m) => self.by_msisdn.get(m.as_str()),
            CardId::Iccid(c) => self.by_iccid.get(c.as_str()),
            CardId::Imsi(i) => self.by_imsi.get(i.as_str()),
        }
        .copied()
    }

    /// Find by the id a batch names cards by.
    pub fn find_field(&self, field: BatchField, number: &str) -> Option<usize> {
        let n = number.trim().to_ascii_uppercase();
        match field {
            BatchField::Msisdn => self.by_msisdn.get(&n),
            BatchField::Iccid => self.by_iccid.get(&n),
            BatchField::Imsi => self.by_imsi.get(&n),
        }
        .copied()
    }

    /// Find by any of the three numbers.
    pub fn find_any(&self, number: &str) -> Option<usize> {
        let n = number.trim().to_ascii_uppercase();
        self.by_msisdn
            .get(&n)
            .or_else(|| self.by_iccid.get(&n))
            .or_else(|| self.by_imsi.get(&n))
            .copied()
    }
}

/// The magic cards as a table for `describe` and the docs.
pub fn magic_table() -> Vec<(Card, &'static str)> {
    MAGIC
        .iter()
        .map(|m| {
            let appid = if m.serial == 5 {
                OTHER_APPID
            } else {
                DEMO_APPID
            };
            (Card::from_serial(m.serial, appid), m.what)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_cards_are_consistent_and_findable() {
        let cfg = OneLinkConfig {
            demo_generate_cards: 1000,
            ..Default::default()
        };
        let inv = Inventory::from_config(&cfg, Utc::now()).expect("inventory");
        assert_eq!(inv.cards.len(), MAGIC.len() + 1000);
        for (i, c) in inv.cards.iter().enumerate() {
            assert_eq!(inv.find_any(&c.msisdn), Some(i));
            assert_eq!(inv.find_any(&c.iccid), Some(i));
            assert_eq!(inv.find_any(&c.imsi), Some(i));
            assert_eq!(c.msisdn.len(), 13);
            assert_eq!(c.iccid.len(), 20);
            assert_eq!(c.imsi.len(), 15);
        }
    }

    #[test]
    fn passwords_compare_exactly() {
        let e = Enterprise {
            appid: "a".into(),
            password: Secret::new("secret"),
            callback_url: None,
        };
        assert!(e.password_matches("secret"));
        assert!(!e.password_matches("secreT"));
        assert!(!e.password_matches("secret "));
    }
}

//! Request and response types of every endpoint, shared by the SDK and the sandbox so both
//! sides cannot drift. Field names are byte-exact with the seeds; where real traffic varies,
//! deserialisation accepts every variant and serialisation writes one canonical form (each such
//! place says so in its doc comment).

pub mod onelink;
pub mod passport;

use serde::{Deserialize, Deserializer};

/// Accept a JSON string or number, keep it as a string (OneLink `status`, `urlType`, `ttl`).
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SN {
        S(String),
        N(serde_json::Number),
    }
    Ok(match SN::deserialize(d)? {
        SN::S(s) => s,
        SN::N(n) => n.to_string(),
    })
}

pub(crate) fn opt_string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SN {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Option::<SN>::deserialize(d)? {
        None => None,
        Some(SN::S(s)) => Some(s),
        Some(SN::N(n)) => Some(n.to_string()),
    })
}

/// Accept `result` as an array, a single object (seed 000's urlType-3 example), or null. Errors
/// inside a record keep their own message (not "did not match any variant").
pub(crate) fn one_or_many<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(Vec::new()),
        v @ serde_json::Value::Array(_) => serde_json::from_value(v).map_err(D::Error::custom),
        v @ serde_json::Value::Object(_) => {
            Ok(vec![serde_json::from_value(v).map_err(D::Error::custom)?])
        }
        other => Err(D::Error::custom(format!(
            "result must be an array or an object, not {other}"
        ))),
    }
}

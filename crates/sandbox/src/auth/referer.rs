//! Referer and origin checks (seed 004 §2.3), with the trailing-slash pitfalls of the real
//! platform: a registered referer must end in `/` (a page `…/mobile.html` is registered as
//! `…/mobile.html/`, query and fragment dropped); a registered origin must not.

use axum::http::HeaderMap;
use serde_json::json;

/// The outcome, with what was seen versus registered for the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub ok: bool,
    /// `missing` (nothing registered or nothing seen) or `mismatch`; empty when ok.
    pub kind: &'static str,
    pub reason: String,
    pub detail: serde_json::Value,
}

/// `scheme://host/path/` of a seen referer, as the platform compares it.
pub fn normalise_referer(seen: &str) -> String {
    let cut = seen.find(['?', '#']).unwrap_or(seen.len());
    let mut s = seen[..cut].to_owned();
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

fn referer_matches(registered: &str, normalised: &str) -> bool {
    registered.ends_with('/') && normalised.starts_with(registered)
}

fn hints(referers: &[String], origins: &[String], seen_referer: &str) -> Vec<String> {
    let mut h = Vec::new();
    for r in referers.iter().filter(|r| !r.ends_with('/')) {
        h.push(format!(
            "registered referer {r:?} does not end in '/': register {:?}",
            format!("{r}/")
        ));
    }
    for o in origins.iter().filter(|o| o.ends_with('/')) {
        h.push(format!(
            "registered origin {o:?} ends in '/': register {:?}",
            o.trim_end_matches('/')
        ));
    }
    if seen_referer.is_empty() {
        h.push(
            "no Referer was sent: HTTPS cross-origin requests drop it; add <meta content=\"always\" \
             name=\"referrer\"> to the page"
                .into(),
        );
    }
    h
}

/// Check the request's Referer and Origin against an app's registered lists. Each list is
/// checked when the app registered one; an app with neither registered fails (`missing`).
pub fn check(headers: &HeaderMap, referers: &[String], origins: &[String]) -> Check {
    let get = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let seen_referer = get(axum::http::header::REFERER);
    let seen_origin = get(axum::http::header::ORIGIN);
    let normalised = normalise_referer(&seen_referer);
    let detail = |verdict: &str| {
        json!({
            "seen": {"referer": seen_referer, "origin": seen_origin},
            "compared_referer": normalised,
            "registered": {"referers": referers, "origins": origins},
            "verdict": verdict,
            "hints": hints(referers, origins, &seen_referer),
        })
    };
    if referers.is_empty() && origins.is_empty() {
        return Check {
            ok: false,
            kind: "missing",
            reason: "no referer or origin is registered for this app".into(),
            detail: detail("nothing registered"),
        };
    }
    let mut problems = Vec::new();
    if !referers.is_empty()
        && (seen_referer.is_empty() || !referers.iter().any(|r| referer_matches(r, &normalised)))
    {
        problems.push(format!(
            "referer {normalised:?} matches no registered referer"
        ));
    }
    if !origins.is_empty() && !origins.contains(&seen_origin) {
        problems.push(format!(
            "origin {seen_origin:?} matches no registered origin"
        ));
    }
    if problems.is_empty() {
        Check {
            ok: true,
            kind: "",
            reason: String::new(),
            detail: serde_json::Value::Null,
        }
    } else {
        let missing = seen_referer.is_empty() && seen_origin.is_empty();
        Check {
            ok: false,
            kind: if missing { "missing" } else { "mismatch" },
            reason: problems.join("; "),
            detail: detail("mismatch"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(referer: &str, origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if !referer.is_empty() {
            h.insert(
                "referer",
                referer.parse().unwrap_or_else(|_| unreachable!()),
            );
        }
        if !origin.is_empty() {
            h.insert("origin", origin.parse().unwrap_or_else(|_| unreachable!()));
        }
        h
    }

    #[test]
    fn seed_examples() {
        let refs = vec!["http://www.abc.com/a/mobile.html/".to_owned()];
        let origins = vec!["http://www.abc.com".to_owned()];
        for page in [
            "http://www.abc.com/a/mobile.html",
            "http://www.abc.com/a/mobile.html/?abc",
            "http://www.abc.com/a/mobile.html/#/abc",
        ] {
            assert!(
                check(&headers(page, "http://www.abc.com"), &refs, &origins).ok,
                "{page}"
            );
        }
        let c = check(
            &headers("http://www.abc.com/b.html", "http://www.abc.com"),
            &refs,
            &origins,
        );
        assert!(!c.ok && c.kind == "mismatch");
    }

    #[test]
    fn trailing_slash_pitfalls() {
        let page = headers("http://www.abc.com/a/mobile.html", "http://www.abc.com");
        let c = check(&page, &["http://www.abc.com/a/mobile.html".into()], &[]);
        assert!(!c.ok);
        assert!(c.detail["hints"][0]
            .as_str()
            .unwrap_or("")
            .contains("does not end in '/'"));
        let c = check(&page, &[], &["http://www.abc.com/".into()]);
        assert!(!c.ok);
        assert!(c.detail["hints"][0]
            .as_str()
            .unwrap_or("")
            .contains("ends in '/'"));
        assert!(check(&page, &["http://www.abc.com/".into()], &[]).ok);
    }

    #[test]
    fn nothing_registered_or_seen() {
        assert_eq!(check(&headers("", ""), &[], &[]).kind, "missing");
        assert_eq!(
            check(&headers("", ""), &["http://a/".into()], &[]).kind,
            "missing"
        );
    }
}

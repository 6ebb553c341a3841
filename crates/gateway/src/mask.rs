//! Masking numbers in free text before it reaches a log line: any run of letters and digits
//! with seven or more digits (phone numbers, msisdn, iccid, imsi) keeps only its first 3 and
//! last 4 characters.

/// `{"msisdn":"1440000001001"}` → `{"msisdn":"144******1001"}`.
pub fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.bytes().filter(u8::is_ascii_digit).count() >= 7 {
            out.push_str(&cmcc_proto::ids::mask_number(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The start of a body, masked, for a log line about it.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(160)]);
    mask_numbers(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_and_words_kept() {
        assert_eq!(
            mask_numbers(
                r#"{"msisdn":"1440000001001","busiSeq":"B1","iccid":"898600D6991330004146"}"#
            ),
            r#"{"msisdn":"144******1001","busiSeq":"B1","iccid":"898*************4146"}"#
        );
        assert_eq!(
            mask_numbers("regStatus 2 at line 1"),
            "regStatus 2 at line 1"
        );
        assert_eq!(snippet("13800138000 x".as_bytes()), "138****8000 x");
    }
}

//! After the last resend the sandbox logs an ERROR naming the push's busiSeq and its card,
//! masked (seed 000: "记录错误日志").

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use cmcc_proto::ids::mask_number;
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_testkit::{eventually, DEADLINE};
use parking_lot::Mutex;

use crate::support::onelink::{complete, dead_url, link, start, token, FRESH};

/// Every formatted log line, shared with the subscriber.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock()).into_owned()
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread: the dispatcher's tasks run where the test's subscriber is the default (a
// thread-local one, so this test shares the binary with the others).
//
// The seed's timings (5 s timeout, 3 resends 10 s apart) on a paused clock: the dispatcher's
// waits are tokio sleeps and timeouts, and the receiver is a port nobody listens on, so an
// attempt either fails to connect or times out; both end in the same give-up line.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn giving_up_logs_an_error_with_busi_seq_and_the_masked_card() {
    let lines = Lines::default();
    let sink = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = start(OneLinkConfig {
        demo_callback_url: Some(dead_url()),
        ..Default::default()
    })
    .await;
    let push = &sb.sandbox.onelink.config.push;
    assert_eq!(
        (push.timeout_ms, push.max_resends, push.resend_interval_ms),
        (5000, 3, 10_000),
        "the seed's timings"
    );
    let tok = token(&sb).await;
    let r = link(&sb, &tok, FRESH, "6").await;
    let busi_seq = r["busiSeq"].as_str().unwrap().to_owned();
    let started = tokio::time::Instant::now();
    complete(&sb, &busi_seq, "pass").await;

    let line = eventually("the give-up line in the log", DEADLINE, || {
        let text = lines.text();
        async move {
            text.lines()
                .find(|l| l.contains("giving up"))
                .map(str::to_owned)
        }
    })
    .await;
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "3 resends 10 s apart on the paused clock: {:?}",
        started.elapsed()
    );
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(&format!("busi_seq={busi_seq}")), "{line}");
    assert!(line.contains(&mask_number(FRESH)), "{line}");
    let all = lines.text();
    assert!(
        !all.contains(FRESH),
        "the full card number never reaches the log:\n{all}"
    );
    sb.stop();
}

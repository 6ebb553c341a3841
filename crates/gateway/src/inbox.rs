//! The push inbox writer: pushes are written durably in group commits, and each request is
//! answered only after the transaction holding its push has committed.
//!
//! One task owns the writing. Requests hand it their records through a channel; it takes
//! everything waiting (up to [`MAX_BATCH`]) into one transaction, so under load one fsync
//! covers hundreds of pushes, while a lone push still commits at once.

use tokio::sync::{mpsc, oneshot};

use crate::store::{PushIn, PushOutcome, PushPolicy, Store};

/// Most pushes committed in one transaction.
pub const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<PushOutcome, String>>;

/// Handle to the writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Inbox {
    tx: mpsc::Sender<(PushIn, Reply)>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    #[error("the push writer has stopped")]
    Stopped,
    #[error("storing the push failed: {0}")]
    Store(String),
}

impl Inbox {
    /// Start the writer on `store`, applying pushes by `policy` (see
    /// [`crate::store::decide`]). The task ends when every handle is dropped, after writing what
    /// it was given.
    pub fn start(store: Store, policy: PushPolicy) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
        let task = tokio::spawn(run(store, policy, rx));
        (Self { tx }, task)
    }

    /// Store one push durably; returns once it is committed (or known to be a duplicate).
    pub async fn submit(&self, push: PushIn) -> Result<PushOutcome, InboxError> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((push, reply))
            .await
            .map_err(|_| InboxError::Stopped)?;
        match wait.await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(InboxError::Store(e)),
            Err(_) => Err(InboxError::Stopped),
        }
    }
}

async fn run(store: Store, policy: PushPolicy, mut rx: mpsc::Receiver<(PushIn, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let pushes: Vec<PushIn> = batch.iter().map(|(p, _)| p.clone()).collect();
        match store.apply_pushes(&pushes, policy).await {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, pushes = batch.len(), "push batch not stored; the platform will resend");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

//! Group commit: one task owns a kind of write. Requests hand it their items through a channel
//! and wait; it takes everything waiting (up to [`MAX_BATCH`]) into one transaction, so under
//! load one fsync covers hundreds of items, while a lone item still commits at once. Each
//! request is answered only after the transaction holding its item has committed.
//!
//! The push inbox ([`crate::inbox`]) and the audit log ([`crate::audit`]) are both one of these.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

/// Most items committed in one transaction.
pub const MAX_BATCH: usize = 512;

type Reply<O> = oneshot::Sender<Result<O, String>>;

/// Handle to a writer task. Cheap to clone; the task ends when every handle is dropped, after
/// writing what it was given.
#[derive(Debug)]
pub struct GroupWriter<T, O> {
    tx: mpsc::Sender<(T, Reply<O>)>,
}

impl<T, O> Clone for GroupWriter<T, O> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

/// Why an item was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("the writer has stopped")]
    Stopped,
    #[error("storing failed: {0}")]
    Store(String),
}

impl<T: Send + 'static, O: Send + 'static> GroupWriter<T, O> {
    /// Start the task. `write` stores one batch in one transaction and returns one outcome per
    /// item, in order; an error fails every item of the batch. `what` names the writer in logs.
    pub fn start<F, Fut>(what: &'static str, mut write: F) -> (Self, tokio::task::JoinHandle<()>)
    where
        F: FnMut(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<O>, String>> + Send,
    {
        let (tx, mut rx) = mpsc::channel::<(T, Reply<O>)>(MAX_BATCH * 8);
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut items = Vec::with_capacity(MAX_BATCH);
                let mut replies = Vec::with_capacity(MAX_BATCH);
                let (item, reply) = first;
                items.push(item);
                replies.push(reply);
                while items.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok((item, reply)) => {
                            items.push(item);
                            replies.push(reply);
                        }
                        Err(_) => break,
                    }
                }
                let n = items.len();
                match write(items).await {
                    Ok(outcomes) if outcomes.len() == n => {
                        for (reply, outcome) in replies.into_iter().zip(outcomes) {
                            let _ = reply.send(Ok(outcome));
                        }
                    }
                    Ok(outcomes) => {
                        let e = format!("{} outcomes for {n} items", outcomes.len());
                        tracing::error!(writer = what, error = %e, "batch answered wrongly");
                        for reply in replies {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                    Err(e) => {
                        tracing::error!(writer = what, error = %e, items = n, "batch not stored");
                        for reply in replies {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        (Self { tx }, task)
    }

    /// Store one item; returns once it is committed.
    pub async fn submit(&self, item: T) -> Result<O, WriteError> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((item, reply))
            .await
            .map_err(|_| WriteError::Stopped)?;
        match wait.await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(WriteError::Store(e)),
            Err(_) => Err(WriteError::Stopped),
        }
    }
}

//! The push inbox writer: pushes are written durably in group commits ([`GroupWriter`]), and
//! each request is answered only after the transaction holding its push has committed.

use crate::group_commit::{GroupWriter, WriteError};
use crate::store::{PushIn, PushOutcome, PushPolicy, Store};

pub use crate::group_commit::MAX_BATCH;

/// Handle to the writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Inbox(GroupWriter<PushIn, PushOutcome>);

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the push writer has stopped")]
    Stopped,
    #[error("storing the push failed: {0}")]
    Store(String),
}

impl Inbox {
    /// Start the writer on `store`, applying pushes by `policy` (see
    /// [`crate::store::decide`]). The task ends when every handle is dropped, after writing what
    /// it was given. A batch that cannot be stored is not acknowledged: the platform resends.
    pub fn start(store: Store, policy: PushPolicy) -> (Self, tokio::task::JoinHandle<()>) {
        let (w, task) = GroupWriter::start("pushes", move |pushes: Vec<PushIn>| {
            let store = store.clone();
            async move {
                store
                    .apply_pushes(&pushes, policy)
                    .await
                    .map_err(|e| e.to_string())
            }
        });
        (Self(w), task)
    }

    /// Store one push durably; returns once it is committed (or known to be a duplicate).
    pub async fn submit(&self, push: PushIn) -> Result<PushOutcome, InboxError> {
        self.0.submit(push).await.map_err(|e| match e {
            WriteError::Stopped => InboxError::Stopped,
            WriteError::Store(s) => InboxError::Store(s),
        })
    }
}

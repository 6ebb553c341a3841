//! The audit log: one row per verification and UAID call, written by a [`GroupWriter`] so that
//! concurrent requests share a commit (on SQLite with `synchronous = FULL`, one fsync) instead
//! of each committing its own row. A request returns after its row is committed, as before.

use crate::group_commit::GroupWriter;
use crate::store::{Audit, Store};

/// Handle to the audit writer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditLog(GroupWriter<Audit, ()>);

impl AuditLog {
    /// Start the writer on `store`.
    pub fn start(store: Store) -> (Self, tokio::task::JoinHandle<()>) {
        let (w, task) = GroupWriter::start("audits", move |batch: Vec<Audit>| {
            let store = store.clone();
            async move {
                let n = batch.len();
                store
                    .record_audits(&batch)
                    .await
                    .map(|()| vec![(); n])
                    .map_err(|e| e.to_string())
            }
        });
        (Self(w), task)
    }

    /// Write one audit row; a failure is logged, never returned (the audit must not fail the
    /// request it describes).
    pub async fn record(&self, a: Audit) {
        let kind = a.kind.clone();
        if let Err(e) = self.0.submit(a).await {
            tracing::error!(error = %e, kind, "audit not written");
        }
    }
}

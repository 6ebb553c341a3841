//! 23S06 batch status changes as asynchronous jobs: a job is accepted at once (its `jobId`),
//! finishes `batch_job_delay_secs` later on the virtual clock, and then reports each card's
//! outcome to 23M10. A job's changes are applied once, when it falls due, by whichever call
//! comes first (every OneLink call settles the jobs that are due), so card queries see them
//! without anyone asking for the job.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use cmcc_proto::wire::onelink::{BatchField, BatchJobItem, BatchJobResult, StatusChange};

use super::params;
use serde::{Deserialize, Serialize};

/// How many finished jobs are kept for 23M10 (the oldest are forgotten first).
const KEEP_FINISHED: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub appid: String,
    pub due_ms: i64,
    pub change: u8,
    pub field: String,
    pub ids: Vec<String>,
    /// Each card's outcome, once the job has run.
    pub results: Option<Vec<BatchJobItem>>,
}

impl Job {
    pub fn change(&self) -> Option<StatusChange> {
        StatusChange::from_oper_type(&self.change.to_string())
    }

    pub fn field(&self) -> BatchField {
        match self.field.as_str() {
            "iccid" => BatchField::Iccid,
            "imsi" => BatchField::Imsi,
            _ => BatchField::Msisdn,
        }
    }

    /// What 23M10 answers: running (`"1"`), or finished: `"2"` every card changed, `"3"`
    /// some, `"4"` none.
    pub fn answer(&self) -> BatchJobResult {
        let Some(results) = &self.results else {
            return BatchJobResult {
                job_status: "1".into(),
                result_list: Vec::new(),
            };
        };
        let ok = results.iter().filter(|r| r.status == "0").count();
        let status = if ok == results.len() {
            "2"
        } else if ok == 0 {
            "4"
        } else {
            "3"
        };
        BatchJobResult {
            job_status: status.into(),
            result_list: results.clone(),
        }
    }
}

/// Every job, by id; the ids of those not yet run, in due order.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Jobs {
    next: u64,
    jobs: BTreeMap<String, Job>,
    pending: VecDeque<String>,
    finished: VecDeque<String>,
}

impl Jobs {
    /// Accept a job; its id.
    pub fn submit(
        &mut self,
        appid: &str,
        due_ms: i64,
        change: StatusChange,
        field: BatchField,
        ids: Vec<String>,
    ) -> String {
        self.next += 1;
        let id = format!("{}{:08}", due_ms / 1000, self.next);
        let field = match field {
            BatchField::Msisdn => "msisdn",
            BatchField::Iccid => "iccid",
            BatchField::Imsi => "imsi",
        };
        self.jobs.insert(
            id.clone(),
            Job {
                id: id.clone(),
                appid: appid.to_owned(),
                due_ms,
                change: change.oper_type(),
                field: field.into(),
                ids,
                results: None,
            },
        );
        self.pending.push_back(id.clone());
        id
    }

    /// Whether a job falls due by `now_ms` (cheap: the first pending one is the earliest).
    pub fn any_due(&self, now_ms: i64) -> bool {
        self.pending
            .front()
            .and_then(|id| self.jobs.get(id))
            .is_some_and(|j| j.due_ms <= now_ms)
    }

    /// Take the jobs due by `now_ms` to run them.
    pub fn take_due(&mut self, now_ms: i64) -> Vec<Job> {
        let mut due = Vec::new();
        while self.any_due(now_ms) {
            let Some(id) = self.pending.pop_front() else {
                break;
            };
            if let Some(j) = self.jobs.get(&id) {
                due.push(j.clone());
            }
        }
        due
    }

    /// Store a job's outcome.
    pub fn finish(&mut self, id: &str, results: Vec<BatchJobItem>) {
        if let Some(j) = self.jobs.get_mut(id) {
            j.results = Some(results);
            self.finished.push_back(id.to_owned());
        }
        while self.finished.len() > KEEP_FINISHED {
            if let Some(old) = self.finished.pop_front() {
                self.jobs.remove(&old);
            }
        }
    }

    /// The job `id` of `appid`.
    pub fn get(&self, appid: &str, id: &str) -> Option<&Job> {
        self.jobs.get(id.trim()).filter(|j| j.appid == appid)
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

impl super::OneLinkState {
    /// Run the batch jobs due by `now`: each card's change applied once, its outcome kept for
    /// 23M10. Every OneLink call does this first (cheap when none is due).
    pub fn settle_jobs(&self, now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        let due = {
            let mut jobs = self.jobs.lock();
            if !jobs.any_due(now_ms) {
                return;
            }
            jobs.take_due(now_ms)
        };
        let window_ms = self.config.change_window_ms();
        for job in due {
            let results = {
                let mut inv = self.inventory.write();
                job.ids
                    .iter()
                    .map(|id| {
                        let outcome = match job.change() {
                            None => Err(("12001", "unknown operType".to_owned())),
                            Some(change) => inv
                                .find_field(job.field(), id)
                                .filter(|&i| inv.cards[i].appid == job.appid)
                                .ok_or(("12011", "no such card for this enterprise".to_owned()))
                                .and_then(|i| {
                                    inv.cards[i]
                                        .life
                                        .change(change, job.due_ms, window_ms)
                                        .map_err(|r| (r.code, r.reason))
                                }),
                        };
                        let (status, message) = match outcome {
                            Ok(()) => ("0".to_owned(), params::message_for("0").to_owned()),
                            Err((code, _)) => {
                                (code.to_owned(), params::message_for(code).to_owned())
                            }
                        };
                        cmcc_proto::wire::onelink::BatchJobItem {
                            result_id: id.clone(),
                            status,
                            message: Some(message),
                        }
                    })
                    .collect::<Vec<_>>()
            };
            let changed = results.iter().filter(|r| r.status == "0").count();
            tracing::info!(job = %job.id, cards = results.len(), changed, "batch job finished");
            self.jobs.lock().finish(&job.id, results);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_fall_due_in_order_and_answer_by_outcome() {
        let mut j = Jobs::default();
        let a = j.submit(
            "e",
            1000,
            StatusChange::Stop,
            BatchField::Msisdn,
            vec!["1".into()],
        );
        let b = j.submit(
            "e",
            2000,
            StatusChange::Stop,
            BatchField::Msisdn,
            vec!["2".into()],
        );
        assert!(!j.any_due(999));
        assert_eq!(
            j.get("e", &a).map(|x| x.answer().job_status),
            Some("1".into())
        );
        assert_eq!(j.get("other", &a).map(|x| x.id.clone()), None);
        let due = j.take_due(1500);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].id, a);
        let item = |s: &str| BatchJobItem {
            result_id: "1".into(),
            status: s.into(),
            message: None,
        };
        j.finish(&a, vec![item("0"), item("12017")]);
        assert_eq!(
            j.get("e", &a).map(|x| x.answer().job_status),
            Some("3".into())
        );
        assert_eq!(j.take_due(5000).len(), 1);
        j.finish(&b, vec![item("12017")]);
        assert_eq!(
            j.get("e", &b).map(|x| x.answer().job_status),
            Some("4".into())
        );
        assert!(j.take_due(9999).is_empty());
    }
}

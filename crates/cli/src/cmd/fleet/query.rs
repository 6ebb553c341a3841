//! The query commands: `status` (23A23 + 25S04), `usage` (25U04 + 23U07), `info` (23S00 +
//! 23S04), `sessions` (25M01). Each card is asked with one shared token; a card the first
//! query refuses is not asked the second.

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use cmcc_client::OneLinkClient;
use cmcc_proto::wire::onelink::{kb, CardState};
use serde::{Deserialize, Serialize};

use super::{
    card_id, connect, error_row, finish, for_each_card, read_earlier, read_input, tally_by, todo,
    CardsArgs, Field, Journal, Record,
};

/// Read the input and the earlier output, ask what has no final answer with `query`, write
/// the file and the summary.
fn query_command<R, F, Fut>(
    args: &CardsArgs,
    query: F,
    tally: impl Fn(&[&R]) -> (String, String),
) -> Result<ExitCode>
where
    R: Record,
    F: Fn(Arc<OneLinkClient>, Field, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let (field, cards) = read_input(&args.input, args.field)?;
    let earlier = read_earlier::<R>(&args.output)?;
    let todo = todo(&cards, &earlier);
    let ctx = connect(&args.conn, !todo.is_empty())?;
    let journal = Arc::new(Journal::open(&args.output, false)?);
    eprintln!(
        "{} cards ({}), {} with a final answer in {}, {} to ask",
        cards.len(),
        field.name(),
        cards.len() - todo.len(),
        args.output.display(),
        todo.len()
    );
    let client = Arc::clone(&ctx.client);
    let done = for_each_card(&ctx, todo, args.conn.concurrency, &journal, move |card| {
        query(Arc::clone(&client), field, card)
    })?;
    drop(journal);
    finish(&args.output, &cards, earlier, &done, &ctx.client, tally)
}

// ------------------------------------------------------------------ status

/// `cmcc fleet status`: one row per card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct StatusRow {
    card: String,
    field: String,
    /// `yes` / `no`; empty when the query failed.
    registered: String,
    /// `identityRegistrationStatus` as answered.
    status: String,
    registration_type: String,
    archive_time: String,
    code: String,
    message: String,
    /// 25S04 `cardStatus` as answered (`2`); after `message`, so the columns of the
    /// registration query keep their places.
    #[serde(default)]
    card_status: String,
    /// Its name: `active`, `stopped`, `pending`, `testing`, `stock`, `pre-cancelled`.
    #[serde(default)]
    card_state: String,
    /// 25S04 `lastChangeDate`.
    #[serde(default)]
    state_changed: String,
}

impl Record for StatusRow {
    fn card(&self) -> &str {
        &self.card
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        StatusRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            registered: String::new(),
            status: String::new(),
            registration_type: String::new(),
            archive_time: String::new(),
            card_status: String::new(),
            card_state: String::new(),
            state_changed: String::new(),
            code,
            message,
        }
    }
}

/// A card state's CSV name (`active`; the number for one cmcc does not know).
pub(crate) fn state_name(code: &str) -> String {
    match CardState::parse(code) {
        Some(CardState::Other(n)) => format!("state {n}"),
        Some(s) => s.en().to_owned(),
        None => String::new(),
    }
}

async fn status_of(client: Arc<OneLinkClient>, field: Field, card: String) -> StatusRow {
    let id = match card_id(field, &card) {
        Ok(id) => id,
        Err(row) => return row,
    };
    let info = match client.identity_info(&id).await {
        Ok(info) => info,
        Err(e) => return error_row(&card, field, &e),
    };
    let st = match client.card_status(&id).await {
        Ok(s) => s,
        Err(e) => return error_row(&card, field, &e),
    };
    StatusRow {
        card: card.clone(),
        field: field.name().to_owned(),
        registered: if info.status == "1" { "yes" } else { "no" }.into(),
        status: info.status,
        registration_type: info.registration_type.unwrap_or_default(),
        archive_time: info.archive_time.unwrap_or_default(),
        card_state: state_name(&st.card_status),
        card_status: st.card_status,
        state_changed: st.last_change_date,
        code: String::new(),
        message: String::new(),
    }
}

pub(crate) fn status(args: &CardsArgs) -> Result<ExitCode> {
    query_command(args, status_of, |all: &[&StatusRow]| {
        let registered = all.iter().filter(|r| r.registered == "yes").count();
        let not = all.iter().filter(|r| r.registered == "no").count();
        let states = tally_by(all.iter().map(|r| r.card_state.as_str()));
        (
            format!("{registered} registered, {not} not registered, "),
            if states.is_empty() {
                String::new()
            } else {
                format!("; card states: {states}")
            },
        )
    })
}

// ------------------------------------------------------------------ usage

/// `cmcc fleet usage`: one row per card. Amounts in KB as OneLink gives them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct UsageRow {
    card: String,
    field: String,
    /// 25U04 `dataAmount` (KB) this month; empty when OneLink says `" "` (no usage or no plan).
    data_kb: String,
    /// Per APN: `apn=KB;apn=KB`.
    apns: String,
    /// 23U07, summed over the plans (KB).
    plan_total_kb: String,
    plan_used_kb: String,
    plan_remain_kb: String,
    /// The plans' names, `;`-joined.
    plans: String,
    code: String,
    message: String,
}

impl Record for UsageRow {
    fn card(&self) -> &str {
        &self.card
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        UsageRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            data_kb: String::new(),
            apns: String::new(),
            plan_total_kb: String::new(),
            plan_used_kb: String::new(),
            plan_remain_kb: String::new(),
            plans: String::new(),
            code,
            message,
        }
    }
}

/// A KB amount for the CSV: at most 3 decimals, no trailing zeros; empty for none.
fn kb_text(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(v) => {
            let s = format!("{v:.3}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            s.to_owned()
        }
    }
}

/// The sum of amounts, `None` when none of them is a number.
fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

async fn usage_of(client: Arc<OneLinkClient>, field: Field, card: String) -> UsageRow {
    let id = match card_id(field, &card) {
        Ok(id) => id,
        Err(row) => return row,
    };
    let usage = match client.data_usage(&id).await {
        Ok(u) => u,
        Err(e) => return error_row(&card, field, &e),
    };
    let margin = match client.data_margin(&id).await {
        Ok(m) => m,
        Err(e) => return error_row(&card, field, &e),
    };
    let plans = &margin.accm_margin_list;
    UsageRow {
        card: card.clone(),
        field: field.name().to_owned(),
        data_kb: kb_text(kb(&usage.data_amount)),
        apns: usage
            .apn_use_amount_list
            .iter()
            .map(|a| format!("{}={}", a.apn_name, kb_text(kb(&a.apn_use_amount))))
            .collect::<Vec<_>>()
            .join(";"),
        plan_total_kb: kb_text(sum(plans.iter().map(|p| kb(&p.total_amount)))),
        plan_used_kb: kb_text(sum(plans.iter().map(|p| kb(&p.use_amount)))),
        plan_remain_kb: kb_text(sum(plans.iter().map(|p| kb(&p.remain_amount)))),
        plans: plans
            .iter()
            .map(|p| p.offering_name.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        code: String::new(),
        message: String::new(),
    }
}

pub(crate) fn usage(args: &CardsArgs) -> Result<ExitCode> {
    query_command(args, usage_of, |all: &[&UsageRow]| {
        let used: Vec<f64> = all.iter().filter_map(|r| r.data_kb.parse().ok()).collect();
        let answered = all.iter().filter(|r| r.answered()).count();
        let total_mb = used.iter().sum::<f64>() / 1024.0;
        let low = all
            .iter()
            .filter(|r| {
                let (Ok(remain), Ok(total)) = (
                    r.plan_remain_kb.parse::<f64>(),
                    r.plan_total_kb.parse::<f64>(),
                ) else {
                    return false;
                };
                total > 0.0 && remain / total < 0.1
            })
            .count();
        (
            format!(
                "{answered} answered ({} without usage), {total_mb:.1} MB in total, {low} with less than 10 % of the plan left, ",
                answered - used.len().min(answered)
            ),
            String::new(),
        )
    })
}

// ------------------------------------------------------------------ info

/// `cmcc fleet info`: one row per card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct InfoRow {
    card: String,
    field: String,
    msisdn: String,
    iccid: String,
    imsi: String,
    /// `yyyy-MM-dd HH:mm:ss`; empty before the card was activated.
    active_date: String,
    open_date: String,
    imei: String,
    code: String,
    message: String,
}

impl Record for InfoRow {
    fn card(&self) -> &str {
        &self.card
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        InfoRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            msisdn: String::new(),
            iccid: String::new(),
            imsi: String::new(),
            active_date: String::new(),
            open_date: String::new(),
            imei: String::new(),
            code,
            message,
        }
    }
}

async fn info_of(client: Arc<OneLinkClient>, field: Field, card: String) -> InfoRow {
    let id = match card_id(field, &card) {
        Ok(id) => id,
        Err(row) => return row,
    };
    let info = match client.basic_info(&id).await {
        Ok(i) => i,
        Err(e) => return error_row(&card, field, &e),
    };
    let imei = match client.imei(&id).await {
        Ok(i) => i,
        Err(e) => return error_row(&card, field, &e),
    };
    InfoRow {
        card: card.clone(),
        field: field.name().to_owned(),
        msisdn: info.msisdn,
        iccid: info.iccid,
        imsi: info.imsi,
        active_date: info.active_date.trim().to_owned(),
        open_date: info.open_date.trim().to_owned(),
        imei: imei.imei.trim().to_owned(),
        code: String::new(),
        message: String::new(),
    }
}

pub(crate) fn info(args: &CardsArgs) -> Result<ExitCode> {
    query_command(args, info_of, |all: &[&InfoRow]| {
        let answered = all.iter().filter(|r| r.answered()).count();
        let active = all.iter().filter(|r| !r.active_date.is_empty()).count();
        let imei = all.iter().filter(|r| !r.imei.is_empty()).count();
        (
            format!("{answered} answered ({active} activated, {imei} with an IMEI), "),
            String::new(),
        )
    })
}

// ------------------------------------------------------------------ sessions

/// `cmcc fleet sessions`: one row per card, its sessions `;`-joined.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SessionsRow {
    card: String,
    field: String,
    /// `yes` when a session is online (`status` `01`), `no` when none is; empty on failure.
    online: String,
    apn: String,
    ip: String,
    /// Radio access type as sent (`6` 4G, `8` NB-IoT, `2` 2G, `1` 3G).
    rat: String,
    since: String,
    code: String,
    message: String,
}

impl Record for SessionsRow {
    fn card(&self) -> &str {
        &self.card
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        SessionsRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            online: String::new(),
            apn: String::new(),
            ip: String::new(),
            rat: String::new(),
            since: String::new(),
            code,
            message,
        }
    }
}

async fn sessions_of(client: Arc<OneLinkClient>, field: Field, card: String) -> SessionsRow {
    let id = match card_id(field, &card) {
        Ok(id) => id,
        Err(row) => return row,
    };
    let s = match client.sessions(&id).await {
        Ok(s) => s,
        Err(e) => return error_row(&card, field, &e),
    };
    let list = &s.sim_session_list;
    let join = |f: fn(&cmcc_proto::wire::onelink::Session) -> &str| {
        list.iter().map(f).collect::<Vec<_>>().join(";")
    };
    SessionsRow {
        card: card.clone(),
        field: field.name().to_owned(),
        online: if list.iter().any(|x| x.status.trim() == "01") {
            "yes"
        } else {
            "no"
        }
        .into(),
        apn: join(|x| x.apn_id.as_str()),
        ip: join(|x| x.ip.as_str()),
        rat: join(|x| x.rat.as_str()),
        since: join(|x| x.create_date.as_str()),
        code: String::new(),
        message: String::new(),
    }
}

pub(crate) fn sessions(args: &CardsArgs) -> Result<ExitCode> {
    query_command(args, sessions_of, |all: &[&SessionsRow]| {
        let online = all.iter().filter(|r| r.online == "yes").count();
        let offline = all.iter().filter(|r| r.online == "no").count();
        (
            format!("{online} online, {offline} offline, "),
            String::new(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_short_and_sum_only_numbers() {
        assert_eq!(kb_text(Some(1024.0)), "1024");
        assert_eq!(kb_text(Some(0.5)), "0.5");
        assert_eq!(kb_text(Some(1.23456)), "1.235");
        assert_eq!(kb_text(None), "");
        assert_eq!(sum([None, None].into_iter()), None);
        assert_eq!(sum([Some(1.0), None, Some(2.5)].into_iter()), Some(3.5));
        assert_eq!(state_name("2"), "active");
        assert_eq!(state_name("3"), "state 3");
        assert_eq!(state_name(" "), "");
    }
}

//! The fleet APIs, routed from their definitions: single-card queries answered from the card's
//! [`Life`](super::life::Life), status and data changes under the change window, 23S06 batch
//! jobs ([`super::jobs`]), GPRS reset, and batch card info.

use axum::extract::State;
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use cmcc_proto::ids::mask_number;
use cmcc_proto::wire::onelink::{
    Ack, BatchCardInfo, BatchCards, BatchChangeStatus, BatchError, BatchField, ChangeStatus,
    JobTicket, OrderResult, QueryBasicInfo, QueryBatchCardInfo, QueryBatchJob, QueryCardStatus,
    QueryDataMargin, QueryDataUsage, QueryFunctionStatus, QueryImei, QuerySessions, ResetGprs,
    StatusChange, SwitchApn,
};
use serde_json::json;

use super::api::{card_query, card_refusal, refuse, serve, Call};
use super::inventory::Card;
use super::life::{ms, Refused, APN};
use super::params::{self, RawCall};
use super::Service;
use crate::core::{EndpointRoutes, Refusal};

pub fn routes() -> Router<Service> {
    Router::new()
        .endpoint::<QueryCardStatus, _, _>(card_status)
        .endpoint::<QueryBasicInfo, _, _>(basic_info)
        .endpoint::<QueryImei, _, _>(imei)
        .endpoint::<QueryDataUsage, _, _>(data_usage)
        .endpoint::<QueryDataMargin, _, _>(data_margin)
        .endpoint::<QuerySessions, _, _>(sessions)
        .endpoint::<QueryFunctionStatus, _, _>(function_status)
        .endpoint::<ResetGprs, _, _>(reset_gprs)
        .endpoint::<ChangeStatus, _, _>(change_status)
        .endpoint::<BatchChangeStatus, _, _>(batch_change_status)
        .endpoint::<QueryBatchJob, _, _>(batch_job)
        .endpoint::<SwitchApn, _, _>(switch_apn)
        .endpoint::<QueryBatchCardInfo, _, _>(batch_card_info)
}

async fn card_status(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryCardStatus>(&app, &raw, |c, _| c.life.status()).await
}

async fn basic_info(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryBasicInfo>(&app, &raw, |c, _| {
        c.life.basic_info(&c.msisdn, &c.iccid, &c.imsi)
    })
    .await
}

async fn imei(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryImei>(&app, &raw, |c, _| c.life.imei(&c.msisdn)).await
}

async fn data_usage(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryDataUsage>(&app, &raw, |c, now| c.life.data_usage(ms(now))).await
}

async fn data_margin(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryDataMargin>(&app, &raw, |c, now| c.life.data_margin(ms(now))).await
}

async fn sessions(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QuerySessions>(&app, &raw, |c, _| c.life.sessions(&c.msisdn)).await
}

async fn function_status(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryFunctionStatus>(&app, &raw, |c, _| c.life.function_status()).await
}

/// A change of one card: authenticate, find the enterprise's card (12011), apply `change` to
/// it under the inventory's write lock. The journal names the card masked.
fn change_card(
    call: &mut Call<'_>,
    req: &impl cmcc_proto::wire::onelink::Authenticated,
    card: &cmcc_proto::wire::onelink::CardFields,
    what: serde_json::Value,
    change: impl FnOnce(&mut Card, i64) -> Result<(), Refused>,
) -> Result<String, Refusal> {
    let (app, now) = (call.app, call.now);
    let appid = app.authenticate(req, now)?;
    let id = card.card_id().map_err(|e| card_refusal(&e))?;
    call.detail = json!({
        "appid": appid,
        "card": format!("{}={}", id.field(), mask_number(id.value())),
        "change": what,
    });
    let mut inv = app.state.inventory.write();
    let i = inv
        .find(&id)
        .filter(|&i| inv.cards[i].appid == appid)
        .ok_or_else(|| refuse("12011", "no such card for this enterprise"))?;
    let c = &mut inv.cards[i];
    change(c, ms(now)).map_err(|r| refuse(r.code, r.reason))?;
    Ok(c.msisdn.clone())
}

/// An order number for a change: unique per call.
fn order_num(now: DateTime<Utc>) -> String {
    format!(
        "{}{:06}",
        now.timestamp_millis(),
        rand::random::<u32>() % 1_000_000
    )
}

async fn change_status(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<ChangeStatus, _>(&app, &raw, |call, req| {
        let change = StatusChange::from_oper_type(&req.oper_type).ok_or_else(|| {
            refuse(
                "12001",
                format!("operType {:?} is not one of 0-6, 8, 9", req.oper_type),
            )
        })?;
        let window = call.app.state.config.change_window_ms();
        let now = call.now;
        let what = json!({ "operType": change.oper_type() });
        let msisdn = change_card(call, &req, &req.card, what, |c, now_ms| {
            c.life.change(change, now_ms, window)
        })?;
        Ok(vec![OrderResult {
            order_num: order_num(now),
            msisdn: Some(msisdn),
        }])
    })
    .await
}

async fn switch_apn(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<SwitchApn, _>(&app, &raw, |call, req| {
        let on = match req.oper_type.trim() {
            "0" => true,
            "1" => false,
            other => {
                return Err(refuse(
                    "12001",
                    format!("operType {other:?}: 0 switches data on, 1 off"),
                ))
            }
        };
        if req.apn_name.trim().is_empty() {
            return Err(refuse("12001", "apnName is required"));
        }
        if req.apn_name.trim() != APN {
            return Err(refuse(
                "12019",
                format!(
                    "the card has no APN {:?} (sandbox cards have {APN})",
                    req.apn_name
                ),
            ));
        }
        let window = call.app.state.config.change_window_ms();
        let now = call.now;
        let what = json!({ "data": if on { "on" } else { "off" } });
        let msisdn = change_card(call, &req, &req.card, what, |c, now_ms| {
            c.life.switch_data(on, now_ms, window)
        })?;
        Ok(vec![OrderResult {
            order_num: order_num(now),
            msisdn: Some(msisdn),
        }])
    })
    .await
}

async fn reset_gprs(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<ResetGprs, _>(&app, &raw, |call, req| {
        let what = json!("gprs reset");
        change_card(call, &req, &req.card, what, |c, now_ms| {
            c.life.reset_session(now_ms)
        })?;
        Ok(Vec::<Ack>::new())
    })
    .await
}

/// The cards of a batch request, checked (12016 above 100, 12001 otherwise).
fn batch_ids(cards: &BatchCards) -> Result<(BatchField, Vec<String>), Refusal> {
    match cards.ids() {
        Ok((field, ids)) => Ok((field, ids.into_iter().map(str::to_owned).collect())),
        Err(e @ BatchError::TooMany(_)) => Err(refuse("12016", e.to_string())),
        Err(e) => Err(refuse("12001", e.to_string())),
    }
}

async fn batch_change_status(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<BatchChangeStatus, _>(&app, &raw, |call, req| {
        let (app, now) = (call.app, call.now);
        let appid = app.authenticate(&req, now)?;
        let change = StatusChange::from_batch_oper_type(&req.oper_type).ok_or_else(|| {
            refuse(
                "12001",
                format!(
                    "batch operType {:?} is not one of 1-7, 9, 10 (23S03's operType + 1)",
                    req.oper_type
                ),
            )
        })?;
        let (field, ids) = batch_ids(&req.cards)?;
        let delay_ms = app.state.config.batch_job_delay_ms();
        let count = ids.len();
        let job_id = app.state.jobs.lock().submit(
            &appid,
            ms(now).saturating_add(delay_ms),
            change,
            field,
            ids,
        );
        call.detail = json!({
            "appid": appid, "jobId": job_id, "cards": count, "operType": change.oper_type(),
        });
        Ok(vec![JobTicket { job_id }])
    })
    .await
}

async fn batch_job(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<QueryBatchJob, _>(&app, &raw, |call, req| {
        let (app, now) = (call.app, call.now);
        let appid = app.authenticate(&req, now)?;
        if req.job_id.trim().is_empty() {
            return Err(refuse("12001", "jobId is required"));
        }
        call.detail = json!({ "appid": appid, "jobId": req.job_id });
        let jobs = app.state.jobs.lock();
        let job = jobs
            .get(&appid, &req.job_id)
            .ok_or_else(|| refuse("12018", "no such job for this enterprise"))?;
        Ok(vec![job.answer()])
    })
    .await
}

async fn batch_card_info(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<QueryBatchCardInfo, _>(&app, &raw, |call, req| {
        let (app, now) = (call.app, call.now);
        let appid = app.authenticate(&req, now)?;
        let (field, ids) = batch_ids(&req.cards)?;
        call.detail = json!({ "appid": appid, "cards": ids.len() });
        let inv = app.state.inventory.read();
        Ok(ids
            .iter()
            .map(|id| {
                match inv
                    .find_field(field, id)
                    .map(|i| &inv.cards[i])
                    .filter(|c| c.appid == appid)
                {
                    Some(c) => BatchCardInfo {
                        status: "0".into(),
                        message: params::message_for("0").into(),
                        msisdn: c.msisdn.clone(),
                        imsi: c.imsi.clone(),
                        iccid: c.iccid.clone(),
                    },
                    None => {
                        let mut r = BatchCardInfo {
                            status: "12011".into(),
                            message: params::message_for("12011").into(),
                            msisdn: String::new(),
                            imsi: String::new(),
                            iccid: String::new(),
                        };
                        match field {
                            BatchField::Msisdn => r.msisdn.clone_from(id),
                            BatchField::Iccid => r.iccid.clone_from(id),
                            BatchField::Imsi => r.imsi.clone_from(id),
                        }
                        r
                    }
                }
            })
            .collect())
    })
    .await
}

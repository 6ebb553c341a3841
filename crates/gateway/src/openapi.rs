//! The OpenAPI 3 document served at `/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "cmcc gateway", description = "Number verification, UAID and IoT real-name registration as a JSON API. Browser routes sit behind a CORS allow-list and per-IP limits; server routes need `Authorization: Bearer <api key>`. OneLink pushes results to the configured `push_path` (documented here as `/onelink/push`; give it an unguessable segment). Every error is `{\"error\":{\"code\",\"message\",\"hint\"?}}`."),
    paths(
        crate::routes::browser::sign_pre_sign,
        crate::routes::browser::token_sign,
        crate::routes::browser::verify,
        crate::routes::browser::uaid,
        crate::routes::server::create_registration,
        crate::routes::server::card_state,
        crate::routes::server::list_registrations,
        crate::routes::events::list_events,
        crate::routes::events::event,
        crate::routes::events::redeliver,
        crate::routes::events::quarantine,
        crate::routes::push::receive_push,
        crate::routes::ops::healthz,
        crate::routes::ops::readyz,
        crate::routes::ops::metrics,
        crate::routes::ops::openapi,
    ),
    components(schemas(
        crate::api::PreSignRequest, crate::api::SignResponse, crate::api::TokenSignRequest,
        crate::api::TokenSignResponse, crate::api::VerifyRequest, crate::api::VerifyResponse,
        crate::api::UaidRequest, crate::api::UaidResponse, crate::api::RegistrationRequest,
        crate::api::RegistrationLinkResponse, crate::api::RegistrationView,
        crate::api::CardStateResponse, crate::api::RegistrationList, crate::api::ErrorBody,
        crate::api::ErrorDetail, crate::api::EventView, crate::api::DeliveryView,
        crate::api::EventList, crate::api::RedeliverResponse, crate::api::QuarantinedView,
        crate::api::QuarantineList, crate::api::PushBody, crate::api::PushRecordSchema,
        crate::api::PushAnswerBody, crate::api::ReadyResponse, crate::api::ReadyPart,
    )),
    modifiers(&ApiKeyScheme)
)]
#[derive(Debug)]
pub struct ApiDoc;

#[derive(Debug)]
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

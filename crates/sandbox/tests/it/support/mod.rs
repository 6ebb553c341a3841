//! What several modules of this binary share.

pub(crate) mod auth;
pub(crate) mod onelink;

/// A client that does not follow redirects: the console's forms answer 303.
pub(crate) fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cmcc_testkit::DEADLINE)
        .build()
        .unwrap()
}

/// `POST url` with a form body.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    http.post(url).form(fields).send().await.unwrap()
}

/// The value of header `name` of `r`, empty when absent.
pub(crate) fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// `GET url`: the body as text.
pub(crate) async fn get_text(http: &reqwest::Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

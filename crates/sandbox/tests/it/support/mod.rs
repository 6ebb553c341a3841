//! What several modules of this binary share.

pub(crate) mod auth;

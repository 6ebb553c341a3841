pub(crate) mod codes;
pub(crate) mod fleet;
pub(crate) mod keys;
pub(crate) mod phone;
pub(crate) mod serve;
pub(crate) mod signing;
pub(crate) mod template;

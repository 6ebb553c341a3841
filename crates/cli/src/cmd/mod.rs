pub mod codes;
pub mod fleet;
pub mod keys;
pub mod phone;
pub mod serve;
pub mod signing;
pub mod template;

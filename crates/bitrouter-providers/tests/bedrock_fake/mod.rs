#[allow(dead_code, reason = "each test binary uses a different part")]
pub mod frames;
#[allow(dead_code, reason = "each test binary uses a different part")]
pub mod server;

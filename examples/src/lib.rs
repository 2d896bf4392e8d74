//! Runnable examples live in this folder as `cargo run -p bitrouter-examples --example NAME`.

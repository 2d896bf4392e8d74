//! `bitrouter route <model>`: how a model name resolves. Asks the running daemon when there is
//! one (it knows which accounts rest and which circuits are open), else works it out from the
//! configuration and the environment.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;

use crate::{daemon, health, settings};

pub fn route(config: Option<&Path>, model: &str, json: bool) -> Result<ExitCode, String> {
    let (value, source) = match daemon::running_listen()? {
        Some(listen) => {
            let path = format!(
                "/bitrouter/route?model={}",
                model.replace(':', "%3A").replace('/', "%2F")
            );
            match health::get_path(listen, &path, Duration::from_secs(2)) {
                Some(v) => (v, format!("from the running daemon on {listen}")),
                None => local(config, model)?,
            }
        }
        None => local(config, model)?,
    };
    if json {
        println!("{value}");
        return Ok(if value.get("error").is_some() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    if let Some(err) = value.get("error").and_then(Value::as_str) {
        return Err(err.to_owned());
    }
    println!(
        "{} ({source})",
        value["requested"].as_str().unwrap_or(model)
    );
    for (i, step) in value["steps"].as_array().into_iter().flatten().enumerate() {
        let s = |k: &str| step[k].as_str().unwrap_or("?").to_owned();
        let role = if i == 0 { "first" } else { "fallback" };
        println!(
            "  {}. [{role}] {}:{} via {} at {}",
            i + 1,
            s("provider"),
            s("model"),
            s("protocol"),
            s("api_base")
        );
        println!("     why: {}", s("reason"));
        println!("     credentials: {}", s("credentials"));
        let health = &step["health"];
        let circuit = health["circuit"].as_str().unwrap_or("closed");
        match health["open_for_secs"].as_u64() {
            Some(secs) => println!("     circuit: {circuit} for {secs} s more"),
            None => println!("     circuit: {circuit}"),
        }
        for a in step["accounts"].as_array().into_iter().flatten() {
            if let Some(secs) = a["cooling_down_secs"].as_u64() {
                println!(
                    "     account {}: resting for {secs} s",
                    a["name"].as_str().unwrap_or("?")
                );
            }
        }
        if let Some(p) = step["price_per_million"].as_object() {
            println!(
                "     price per million tokens: input ${} / cached ${} / output ${}",
                p["input"], p["cached_input"], p["output"]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn local(config: Option<&Path>, model: &str) -> Result<(Value, String), String> {
    let listen = settings::listen(None, config)?;
    let file = settings::load(config, listen)?;
    let gateway = settings::gateway(file.as_ref(), listen)?;
    let source = match &file {
        Some(f) => format!("from {} and the environment", f.path.display()),
        None => "zero-config from the environment".to_owned(),
    };
    Ok((bitrouter_server::explain_route(&gateway, model), source))
}

//! `bitrouter login|logout <provider>`, `bitrouter auth login|logout|whoami` (BitRouter
//! Cloud) and `bitrouter providers list`. Logins are headless: the URL and code are printed,
//! and a PKCE login also takes the redirected URL pasted on stdin.

use std::io::BufRead as _;
use std::process::ExitCode;

use bitrouter_signin::{
    AuthClient, Flow, LoginOptions, Prompt, SigninDef, SystemClock, TokenStore, human,
    provider_states,
};
use serde_json::json;

use crate::home;

fn env_with(cloud_url: Option<&str>) -> impl Fn(&str) -> Option<String> + '_ {
    move |k: &str| match (k, cloud_url) {
        ("BITROUTER_CLOUD_URL", Some(url)) => Some(url.to_owned()),
        _ => std::env::var(k).ok(),
    }
}

fn store() -> Result<TokenStore, String> {
    Ok(TokenStore::in_home(&home::dir()?))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// One line from stdin, read on its own thread so the loopback listener keeps serving.
async fn pasted_line() -> Option<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        let _ = tx.send(matches!(read, Ok(n) if n > 0).then_some(line));
    });
    rx.await.ok().flatten()
}

fn show(prompt: &Prompt) {
    match prompt {
        Prompt::Device {
            uri,
            user_code,
            complete_uri,
            expires_in,
        } => {
            println!("Open this page on any device and enter the code:");
            println!("  {uri}");
            println!("  code: {user_code}");
            if let Some(c) = complete_uri {
                println!("  (or open {c})");
            }
            println!(
                "Waiting for approval (the code is valid for {})...",
                human(*expires_in)
            );
        }
        Prompt::Browser { url, listening } => {
            println!("Open this URL in a browser on any device:");
            println!("  {url}");
            if *listening {
                println!(
                    "Waiting for the browser to come back here; if it cannot reach this machine, paste the URL it ended on (or the code it shows) and press Enter:"
                );
            } else {
                println!(
                    "Then paste the URL the browser ended on (or the code it shows) and press Enter:"
                );
            }
        }
    }
}

/// `bitrouter login <provider>`.
pub fn login(provider: &str, no_listen: bool, cloud_url: Option<&str>) -> Result<ExitCode, String> {
    let env = env_with(cloud_url);
    let def = SigninDef::resolve(provider, &env).map_err(|e| e.to_string())?;
    let store = store()?;
    let client = AuthClient::new();
    let credential = runtime()?.block_on(bitrouter_signin::login(
        &def,
        &store,
        LoginOptions {
            client: &client,
            clock: &SystemClock,
            listen: def.flow == Flow::Pkce && !no_listen,
        },
        show,
        pasted_line,
    ));
    let credential = credential.map_err(|e| e.to_string())?;
    let who = credential
        .account
        .map(|a| format!(" as {a}"))
        .unwrap_or_default();
    println!(
        "Signed in to {}{who}; tokens saved in {}",
        def.title,
        store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `bitrouter logout <provider>`.
pub fn logout(provider: &str) -> Result<ExitCode, String> {
    SigninDef::resolve(provider, &env_with(None)).map_err(|e| e.to_string())?;
    let removed = store()?.remove(provider).map_err(|e| e.to_string())?;
    if removed {
        println!("Signed out of {provider}; its tokens were deleted");
    } else {
        println!("Not signed in to {provider}; nothing to do");
    }
    Ok(ExitCode::SUCCESS)
}

/// `bitrouter auth whoami`.
pub fn whoami(cloud_url: Option<&str>, json: bool) -> Result<ExitCode, String> {
    let def = SigninDef::resolve("bitrouter", &env_with(cloud_url)).map_err(|e| e.to_string())?;
    let credential = store()?.get("bitrouter").map_err(|e| e.to_string())?;
    let cloud = def.api_base.trim_end_matches("/v1").to_owned();
    let Some(c) = credential else {
        if json {
            println!("{}", json!({ "signed_in": false, "cloud_url": cloud }));
            return Ok(ExitCode::FAILURE);
        }
        return Err("not signed in to BitRouter Cloud; run `bitrouter auth login`".into());
    };
    let now = bitrouter_signin::Clock::now(&SystemClock);
    let left = c
        .expires_at
        .map(|at| i64::try_from(at).unwrap_or(i64::MAX) - i64::try_from(now).unwrap_or(0));
    if json {
        println!(
            "{}",
            json!({
                "signed_in": true,
                "cloud_url": cloud,
                "account": c.account,
                "expires_in_secs": left,
                "refreshable": c.refresh_token.is_some(),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let who = c.account.as_deref().unwrap_or("an unnamed account");
    let expiry = match left {
        None => "the token has no expiry".to_owned(),
        Some(l) if l > 0 => format!("the token expires in {}", human(l.unsigned_abs())),
        Some(l) => format!("the token expired {} ago", human(l.unsigned_abs())),
    };
    println!("Signed in to BitRouter Cloud ({cloud}) as {who}; {expiry}");
    Ok(ExitCode::SUCCESS)
}

/// `bitrouter providers list`.
pub fn providers_list(json: bool) -> Result<ExitCode, String> {
    let env = env_with(None);
    let now = bitrouter_signin::Clock::now(&SystemClock);
    let states = provider_states(&env, &store()?, now);
    if json {
        let v = serde_json::to_value(&states).map_err(|e| e.to_string())?;
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    for s in &states {
        println!("{:<11} {:<12} {}", s.id, s.state, s.reason);
    }
    Ok(ExitCode::SUCCESS)
}

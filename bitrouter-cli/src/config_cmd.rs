//! `bitrouter config validate`, `bitrouter config schema` and `bitrouter init`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bitrouter_providers::BUILTINS;

use crate::{home, settings};

pub fn validate(config: Option<&Path>, json: bool) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = home::dir()?;
    let file = match bitrouter_config::discover(config, &cwd, Some(&home)) {
        Ok(Some(file)) => file,
        Ok(None) => {
            let msg = "no configuration file: ./bitrouter.yaml and $BITROUTER_HOME/bitrouter.yaml are absent (zero-config); create one with `bitrouter init`";
            if json {
                println!(
                    "{}",
                    serde_json::json!({"valid": true, "file": null, "note": msg})
                );
            } else {
                println!("{msg}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return report(json, None, &[e.to_string()]),
    };
    let listen = settings::listen(None, config)?;
    match file.validate(listen) {
        Ok(()) => {
            if json {
                println!("{}", serde_json::json!({"valid": true, "file": file.path}));
            } else {
                println!("{}: valid", file.path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            report(json, Some(&file.path), &text)
        }
    }
}

fn report(json: bool, path: Option<&PathBuf>, errors: &[String]) -> Result<ExitCode, String> {
    if json {
        println!(
            "{}",
            serde_json::json!({"valid": false, "file": path, "errors": errors})
        );
    } else {
        for e in errors {
            eprintln!("{e}");
        }
    }
    Ok(ExitCode::FAILURE)
}

pub fn schema() -> Result<ExitCode, String> {
    let schema = serde_json::to_string_pretty(&bitrouter_config::json_schema())
        .map_err(|e| e.to_string())?;
    println!("{schema}");
    Ok(ExitCode::SUCCESS)
}

pub fn init(config: Option<&Path>, force: bool) -> Result<ExitCode, String> {
    let path = match config {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(bitrouter_config::FILE_NAME),
    };
    if path.exists() && !force {
        return Err(format!(
            "{} exists; pass --force to overwrite it",
            path.display()
        ));
    }
    let detected: Vec<&str> = BUILTINS
        .iter()
        .filter(|b| {
            b.key_vars
                .iter()
                .any(|v| std::env::var(v).is_ok_and(|k| !k.trim().is_empty()))
        })
        .map(|b| b.id)
        .collect();
    std::fs::write(&path, bitrouter_config::init_template(&detected))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "wrote {} ({})",
        path.display(),
        if detected.is_empty() {
            "no provider key found in the environment; see the commented examples".to_owned()
        } else {
            format!("providers found: {}", detected.join(", "))
        }
    );
    Ok(ExitCode::SUCCESS)
}

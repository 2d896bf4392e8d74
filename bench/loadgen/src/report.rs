//! The results table: reads the JSON lines `run.sh` collected (from `oha` and from this
//! client), puts each BitRouter row next to its direct baseline, and checks the targets.

use std::fmt::Write as _;

use serde_json::Value;

/// One measured row, in microseconds.
#[derive(Debug, Clone)]
struct Row {
    kind: String,
    load: String,
    path: String,
    rps: f64,
    p50: f64,
    p99: f64,
    ttfb_p50: Option<f64>,
    errors: u64,
}

/// Which direct run a path is compared with: the upstream it ends at.
fn baseline(path: &str) -> Option<&'static str> {
    match path {
        "same" => Some("direct-openai"),
        "cross" => Some("direct-anthropic"),
        _ => None,
    }
}

const PATH_ORDER: [&str; 4] = ["direct-openai", "same", "direct-anthropic", "cross"];

pub fn render(text: &str) -> Result<String, String> {
    let lines: Vec<Value> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).map_err(|error| format!("bad result line {line:?}: {error}"))
        })
        .collect::<Result<_, _>>()?;
    let rows: Vec<Row> = lines.iter().filter_map(row).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| kind | load | path | req/s | p50 µs | p99 µs | added p50 µs | added p99 µs | TTFB p50 µs | added TTFB p50 µs | errors |"
    );
    let _ = writeln!(out, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    let mut groups: Vec<(String, String)> = Vec::new();
    for row in &rows {
        let key = (row.kind.clone(), row.load.clone());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (kind, load) in &groups {
        let group: Vec<&Row> = rows
            .iter()
            .filter(|r| &r.kind == kind && &r.load == load)
            .collect();
        for path in PATH_ORDER {
            let Some(row) = group.iter().find(|r| r.path == path) else {
                continue;
            };
            let base = baseline(path).and_then(|b| group.iter().find(|r| r.path == b));
            let added = |f: fn(&Row) -> f64| base.map(|b| fmt(f(row) - f(b))).unwrap_or_default();
            let ttfb = row.ttfb_p50.map(fmt).unwrap_or_default();
            let added_ttfb = match (row.ttfb_p50, base.and_then(|b| b.ttfb_p50)) {
                (Some(own), Some(direct)) => fmt(own - direct),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| {kind} | {load} | {path} | {:.0} | {} | {} | {} | {} | {ttfb} | {added_ttfb} | {} |",
                row.rps,
                fmt(row.p50),
                fmt(row.p99),
                added(|r| r.p50),
                added(|r| r.p99),
                row.errors
            );
        }
    }
    out.push('\n');
    out.push_str(&other_lines(&lines));
    out.push('\n');
    out.push_str(&targets(&rows, &lines));
    Ok(out)
}

fn fmt(micros: f64) -> String {
    format!("{micros:.0}")
}

fn row(line: &Value) -> Option<Row> {
    let kind = line.get("kind")?.as_str()?.to_owned();
    let load = line.get("load")?.as_str()?.to_owned();
    let path = line.get("path")?.as_str()?.to_owned();
    let result = line.get("result")?;
    if line.get("tool").and_then(Value::as_str) == Some("oha") {
        // oha reports seconds; errors are counted by message in `errorDistribution`.
        let seconds = |key: &str| {
            result
                .pointer(&format!("/latencyPercentiles/{key}"))?
                .as_f64()
        };
        let errors = result
            .get("errorDistribution")
            .and_then(Value::as_object)
            .map(|map| map.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        let non_200: u64 = result
            .get("statusCodeDistribution")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter(|(code, _)| code.as_str() != "200")
                    .filter_map(|(_, n)| n.as_u64())
                    .sum()
            })
            .unwrap_or(0);
        return Some(Row {
            kind,
            load,
            path,
            rps: result.pointer("/summary/requestsPerSec")?.as_f64()?,
            p50: seconds("p50")? * 1e6,
            p99: seconds("p99")? * 1e6,
            ttfb_p50: None,
            errors: errors + non_200,
        });
    }
    let micros = |pointer: &str| result.pointer(pointer).and_then(Value::as_f64);
    Some(Row {
        rps: result.get("rps")?.as_f64()?,
        p50: micros("/latency_us/p50")?,
        p99: micros("/latency_us/p99")?,
        ttfb_p50: if kind == "stream" {
            micros("/ttfb_us/p50")
        } else {
            None
        },
        errors: result.get("errors").and_then(Value::as_u64).unwrap_or(0),
        kind,
        load,
        path,
    })
}

fn other_lines(lines: &[Value]) -> String {
    let mut out = String::from("| measurement | value |\n|---|--:|\n");
    for line in lines {
        let Some(name) = line.get("measure").and_then(Value::as_str) else {
            continue;
        };
        let value = line.get("value").map(Value::to_string).unwrap_or_default();
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out
}

fn measure(lines: &[Value], name: &str) -> Option<f64> {
    lines
        .iter()
        .find(|line| line.get("measure").and_then(Value::as_str) == Some(name))
        .and_then(|line| line.get("value"))
        .and_then(Value::as_f64)
}

fn targets(rows: &[Row], lines: &[Value]) -> String {
    let added = |kind: &str, load: &str, path: &str, f: fn(&Row) -> Option<f64>| {
        let own = rows
            .iter()
            .find(|r| r.kind == kind && r.load == load && r.path == path)?;
        let base = rows.iter().find(|r| {
            r.kind == kind && r.load == load && Some(r.path.as_str()) == baseline(path)
        })?;
        Some(f(own)? - f(base)?)
    };
    let through = |kind: &str, load: &str, path: &str| {
        rows.iter()
            .find(|r| r.kind == kind && r.load == load && r.path == path)
            .map(|r| r.rps)
    };
    let checks: Vec<(&str, Option<f64>, f64, bool)> = vec![
        (
            "added p50, c=1, same protocol (µs)",
            added("plain", "c=1", "same", |r| Some(r.p50)),
            150.0,
            false,
        ),
        (
            "added p99, c=1, same protocol (µs)",
            added("plain", "c=1", "same", |r| Some(r.p99)),
            500.0,
            false,
        ),
        (
            "added p50, c=1, cross-protocol (µs)",
            added("plain", "c=1", "cross", |r| Some(r.p50)),
            250.0,
            false,
        ),
        (
            "req/s through BitRouter, c=64, same protocol",
            through("plain", "c=64", "same"),
            10_000.0,
            true,
        ),
        (
            "added p99, c=64, same protocol (µs)",
            added("plain", "c=64", "same", |r| Some(r.p99)),
            2_000.0,
            false,
        ),
        (
            "added TTFB p50, streams c=1, same protocol (µs)",
            added("stream", "c=1", "same", |r| r.ttfb_p50),
            200.0,
            false,
        ),
        ("idle RSS (MB)", measure(lines, "idle_rss_mb"), 30.0, false),
        (
            "RSS with 1,000 open streams (MB)",
            measure(lines, "open_streams_peak_rss_mb"),
            150.0,
            false,
        ),
        (
            "start-up to first /health 200, p50 (ms)",
            measure(lines, "startup_p50_ms"),
            100.0,
            false,
        ),
    ];
    let mut out = String::from("| target | measured | limit | met |\n|---|--:|--:|---|\n");
    for (name, value, limit, at_least) in checks {
        let (shown, met) = match value {
            Some(v) => (
                format!("{v:.1}"),
                if at_least { v >= limit } else { v <= limit },
            ),
            None => ("n/a".to_owned(), false),
        };
        let sign = if at_least { "≥" } else { "≤" };
        let verdict = if value.is_none() {
            "not measured"
        } else if met {
            "yes"
        } else {
            "NO"
        };
        let _ = writeln!(out, "| {name} | {shown} | {sign} {limit} | {verdict} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_latency_is_the_difference_from_the_same_upstreams_direct_row() {
        let lines = [
            r#"{"kind":"plain","load":"c=1","path":"direct-openai","tool":"oha","result":{"summary":{"requestsPerSec":20000.0},"latencyPercentiles":{"p50":0.00005,"p99":0.0001},"statusCodeDistribution":{"200":10}}}"#,
            r#"{"kind":"plain","load":"c=1","path":"same","tool":"oha","result":{"summary":{"requestsPerSec":8000.0},"latencyPercentiles":{"p50":0.00012,"p99":0.0004},"statusCodeDistribution":{"200":9,"502":1}}}"#,
            r#"{"kind":"stream","load":"c=1","path":"direct-anthropic","tool":"client","result":{"rps":900.0,"errors":0,"latency_us":{"p50":40.0,"p99":90.0},"ttfb_us":{"p50":30.0}}}"#,
            r#"{"kind":"stream","load":"c=1","path":"cross","tool":"client","result":{"rps":500.0,"errors":2,"latency_us":{"p50":240.0,"p99":700.0},"ttfb_us":{"p50":130.0}}}"#,
            r#"{"measure":"idle_rss_mb","value":12.5}"#,
        ]
        .join("\n");
        let table = render(&lines).unwrap();
        assert!(
            table.contains("| plain | c=1 | same | 8000 | 120 | 400 | 70 | 300 |  |  | 1 |"),
            "{table}"
        );
        assert!(
            table
                .contains("| stream | c=1 | cross | 500 | 240 | 700 | 200 | 610 | 130 | 100 | 2 |"),
            "{table}"
        );
        assert!(
            table.contains("| added p50, c=1, same protocol (µs) | 70.0 | ≤ 150 | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| idle RSS (MB) | 12.5 | ≤ 30 | yes |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| start-up to first /health 200, p50 (ms) | n/a | ≤ 100 | not measured |"
            ),
            "{table}"
        );
    }

    #[test]
    fn a_bad_line_is_an_error_naming_it() {
        let error = render("{not json").unwrap_err();
        assert!(
            error.starts_with("bad result line \"{not json\""),
            "{error}"
        );
    }
}

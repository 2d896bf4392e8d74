//! The Redis key layout and the Lua scripts that change it atomically.
//!
//! Keys, all under a configurable prefix (`bitrouter:limits` by default); `<subject>` is `k:<id>`
//! for a key and `u:<id>` for a user, last so that any id is unambiguous:
//!
//! | key | type | holds | expires |
//! | --- | --- | --- | --- |
//! | `<prefix>:rpm:<minute>:<subject>` | string | requests in the minute | a minute after the window ends |
//! | `<prefix>:tpm:<minute>:<subject>` | string | tokens in the minute | a minute after the window ends |
//! | `<prefix>:inflight:<subject>` | sorted set | reservation id → lease expiry (ms) | a minute after the last lease |
//! | `<prefix>:reserved:<subject>` | hash | reservation id → estimated micro-dollars | as `inflight` |
//! | `<prefix>:spend:<period>:<subject>` | string | micro-dollars settled in the period | a day after the period ends; `total` 35 days after the last settle |
//!
//! `<minute>` is the number of whole minutes since the epoch; `<period>` is `d2025-01-31`,
//! `w2025-01-27` (the Monday), `m2025-01` or `total`. A subject's keys are not hash-tagged and a
//! call touches its key's and its user's, so Redis Cluster is not supported (one primary, with
//! replicas for failover, is).

use redis::aio::ConnectionManager;
use redis::{ErrorKind, FromRedisValue, RedisResult};

use crate::spec::{SubjectId, SubjectKind};

/// One Lua script, run by its SHA1 (`EVALSHA`), falling back to sending its source (`EVAL`,
/// which also caches it on the server) when the server does not know it yet or was restarted.
#[derive(Debug)]
pub(crate) struct LuaScript {
    source: &'static str,
    sha: String,
}

impl LuaScript {
    pub(crate) fn new(source: &'static str) -> Self {
        Self {
            source,
            sha: redis::Script::new(source).get_hash().to_owned(),
        }
    }

    pub(crate) async fn run<T: FromRedisValue>(
        &self,
        conn: &mut ConnectionManager,
        keys: &[String],
        args: &[String],
    ) -> RedisResult<T> {
        let mut by_sha = redis::cmd("EVALSHA");
        by_sha.arg(&self.sha).arg(keys.len()).arg(keys).arg(args);
        match by_sha.query_async(conn).await {
            Err(err) if err.kind() == ErrorKind::NoScriptError => {
                let mut by_source = redis::cmd("EVAL");
                by_source
                    .arg(self.source)
                    .arg(keys.len())
                    .arg(keys)
                    .arg(args);
                by_source.query_async(conn).await
            }
            other => other,
        }
    }
}

/// Builds key names under one prefix.
#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    prefix: String,
}

impl KeyLayout {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.trim_end_matches(':').to_owned(),
        }
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, field: &str, subject: &SubjectId) -> String {
        let kind = match subject.kind() {
            SubjectKind::Key => 'k',
            SubjectKind::User => 'u',
        };
        format!("{}:{field}:{kind}:{}", self.prefix, subject.name())
    }

    pub(crate) fn rpm(&self, window: i64, subject: &SubjectId) -> String {
        self.key(&format!("rpm:{window}"), subject)
    }

    pub(crate) fn tpm(&self, window: i64, subject: &SubjectId) -> String {
        self.key(&format!("tpm:{window}"), subject)
    }

    pub(crate) fn inflight(&self, subject: &SubjectId) -> String {
        self.key("inflight", subject)
    }

    pub(crate) fn reserved(&self, subject: &SubjectId) -> String {
        self.key("reserved", subject)
    }

    pub(crate) fn spend(&self, period_key: &str, subject: &SubjectId) -> String {
        self.key(&format!("spend:{period_key}"), subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_put_the_subject_last() {
        let layout = KeyLayout::new("br:");
        let key = SubjectId::key("team:a");
        assert_eq!(layout.rpm(28_486_905, &key), "br:rpm:28486905:k:team:a");
        assert_eq!(
            layout.inflight(&SubjectId::user("bob")),
            "br:inflight:u:bob"
        );
        assert_eq!(
            layout.spend("d2024-02-29", &key),
            "br:spend:d2024-02-29:k:team:a"
        );
    }

    #[test]
    fn scripts_are_named_by_their_sha1() {
        let script = LuaScript::new("return 1");
        // sha1("return 1")
        assert_eq!(script.sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }
}

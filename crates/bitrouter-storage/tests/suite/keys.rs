//! Keys and users.

use bitrouter_storage::{
    Budget, BudgetPeriod, GuardrailFinding, KeyLimits, KeyState, KeyUpdate, NewKey, StorageError,
};
use chrono::{Duration, Utc};

use super::TestDb;

pub async fn lifecycle(db: &TestDb) {
    let s = &db.storage;
    let (key, secret) = s
        .create_key(NewKey {
            user_id: "life".into(),
            name: Some("ci".into()),
            ..NewKey::default()
        })
        .await
        .unwrap();
    assert!(
        secret.starts_with("brvk_") && secret.len() == 69,
        "{secret}"
    );
    assert!(key.id.starts_with("key_"));
    assert_eq!(key.prefix, &secret[..13]);
    assert_eq!(key.user_id, "life");
    assert_eq!(key.name.as_deref(), Some("ci"));

    let found = s.verify(&secret).await.unwrap().unwrap();
    assert_eq!(found, key);
    assert_eq!(found.state(Utc::now()), KeyState::Active);

    // A wrong secret, one character off, and a non-key string find nothing.
    let mut wrong = secret.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(68.., last);
    assert_eq!(s.verify(&wrong).await.unwrap(), None);
    assert_eq!(s.verify("sk-not-a-key").await.unwrap(), None);

    // Lookup by id and by display prefix (with or without the ellipsis).
    assert_eq!(s.get_key(&key.id).await.unwrap().id, key.id);
    assert_eq!(s.get_key(&key.display_prefix()).await.unwrap().id, key.id);
    assert!(matches!(
        s.get_key("key_missing").await,
        Err(StorageError::NotFound { .. })
    ));

    let revoked = s.revoke_key(&key.id).await.unwrap();
    let at = revoked.revoked_at.unwrap();
    let after = s.verify(&secret).await.unwrap().unwrap();
    assert_eq!(after.state(Utc::now()), KeyState::Revoked(at));

    // Expiry: a key that expired a minute ago is still found, and reported expired.
    let past = Utc::now() - Duration::minutes(1);
    let (_, expired_secret) = s
        .create_key(NewKey {
            user_id: "life".into(),
            limits: KeyLimits {
                expires_at: Some(past),
                ..KeyLimits::default()
            },
            ..NewKey::default()
        })
        .await
        .unwrap();
    let expired = s.verify(&expired_secret).await.unwrap().unwrap();
    assert!(
        matches!(expired.state(Utc::now()), KeyState::Expired(t) if (t - past).num_milliseconds().abs() < 1),
        "{expired:?}"
    );
}

pub async fn rotation(db: &TestDb) {
    let s = &db.storage;
    let limits = KeyLimits {
        models: vec!["gpt-4o*".into()],
        budget: Some(Budget {
            usd: 5.0,
            period: BudgetPeriod::Week,
        }),
        rpm: Some(60),
        ..KeyLimits::default()
    };
    let (old, old_secret) = s
        .create_key(NewKey {
            user_id: "rot".into(),
            name: Some("r".into()),
            limits: limits.clone(),
        })
        .await
        .unwrap();
    let (new, new_secret) = s.rotate_key(&old.prefix).await.unwrap();
    assert_ne!(new.id, old.id);
    assert_ne!(new_secret, old_secret);
    assert_eq!(new.rotated_from.as_deref(), Some(old.id.as_str()));
    assert_eq!(new.limits, limits);
    assert_eq!(new.name.as_deref(), Some("r"));
    let old_now = s.verify(&old_secret).await.unwrap().unwrap();
    assert!(matches!(old_now.state(Utc::now()), KeyState::Revoked(_)));
    let new_now = s.verify(&new_secret).await.unwrap().unwrap();
    assert_eq!(new_now.state(Utc::now()), KeyState::Active);
    assert_eq!(new_now, new);
    // A revoked key cannot be rotated again.
    assert!(s.rotate_key(&old.id).await.is_err());
    let listed = s.list_keys(Some("rot")).await.unwrap();
    assert_eq!(listed.len(), 2);
}

pub async fn allow_list_and_limits(db: &TestDb) {
    let s = &db.storage;
    let expires = Utc::now() + Duration::days(30);
    let limits = KeyLimits {
        models: vec!["gpt-4o*".into(), "anthropic:claude-*-sonnet".into()],
        budget: Some(Budget {
            usd: 12.5,
            period: BudgetPeriod::Month,
        }),
        rpm: Some(100),
        tpm: Some(200_000),
        max_concurrency: Some(4),
        expires_at: Some(expires),
    };
    let (key, secret) = s
        .create_key(NewKey {
            user_id: "lim".into(),
            limits,
            ..NewKey::default()
        })
        .await
        .unwrap();
    let stored = s.verify(&secret).await.unwrap().unwrap();
    assert_eq!(
        stored.limits.models,
        vec!["gpt-4o*", "anthropic:claude-*-sonnet"]
    );
    assert_eq!(
        stored.limits.budget,
        Some(Budget {
            usd: 12.5,
            period: BudgetPeriod::Month
        })
    );
    assert_eq!(
        (
            stored.limits.rpm,
            stored.limits.tpm,
            stored.limits.max_concurrency
        ),
        (Some(100), Some(200_000), Some(4))
    );
    assert_eq!(
        stored.limits.expires_at.map(|t| t.timestamp_millis()),
        Some(expires.timestamp_millis())
    );
    assert!(stored.limits.allows_model("gpt-4o-mini"));
    assert!(stored.limits.allows_model("anthropic:claude-3-sonnet"));
    assert!(!stored.limits.allows_model("gpt-5"));

    let updated = s
        .update_key(
            &key.id,
            KeyUpdate {
                models: Some(Vec::new()),
                rpm: Some(Some(5)),
                tpm: Some(None),
                budget: Some(None),
                name: Some(Some("renamed".into())),
                ..KeyUpdate::default()
            },
        )
        .await
        .unwrap();
    let reread = s.get_key(&key.id).await.unwrap();
    assert_eq!(reread, updated);
    assert_eq!(reread.limits.rpm, Some(5));
    assert_eq!(reread.limits.tpm, None);
    assert_eq!(reread.limits.budget, None);
    assert_eq!(reread.limits.max_concurrency, Some(4));
    assert_eq!(reread.name.as_deref(), Some("renamed"));
    assert!(reread.limits.allows_model("anything"));

    let bad = s
        .update_key(
            &key.id,
            KeyUpdate {
                budget: Some(Some(Budget {
                    usd: -3.0,
                    period: BudgetPeriod::Day,
                })),
                ..KeyUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(
            bad,
            Err(StorageError::Invalid {
                field: "budget",
                ..
            })
        ),
        "{bad:?}"
    );
}

pub async fn users_and_budgets(db: &TestDb) {
    let s = &db.storage;
    let user = s.ensure_user("team-a", Some("Team A")).await.unwrap();
    assert_eq!(
        (user.id.as_str(), user.name.as_deref(), user.budget),
        ("team-a", Some("Team A"), None)
    );
    // ensure_user on an existing user keeps it (and its creation time).
    let again = s.ensure_user("team-a", None).await.unwrap();
    assert_eq!(again, user);
    let budget = Budget {
        usd: 100.0,
        period: BudgetPeriod::Day,
    };
    let with_budget = s.set_user_budget("team-a", Some(budget)).await.unwrap();
    assert_eq!(with_budget.budget, Some(budget));
    assert_eq!(s.get_user("team-a").await.unwrap().budget, Some(budget));
    assert_eq!(
        s.set_user_budget("team-a", None).await.unwrap().budget,
        None
    );
    assert!(matches!(
        s.set_user_budget("nobody", Some(budget)).await,
        Err(StorageError::NotFound { what: "user", .. })
    ));
    assert!(s.ensure_user("bad id with spaces", None).await.is_err());
    let ids: Vec<String> = s
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    for expected in ["team-a", "life", "rot", "lim"] {
        assert!(ids.contains(&expected.to_owned()), "{ids:?}");
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

pub async fn findings_round_trip(db: &TestDb) {
    let s = &db.storage;
    let at = Utc::now();
    let finding = |rule: &str| GuardrailFinding {
        request_id: "req-find".into(),
        rule: rule.into(),
        action: "block".into(),
        direction: "request".into(),
        created_at: chrono::DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap(),
    };
    s.record_findings(&[finding("pii.email"), finding("secrets.aws")])
        .await
        .unwrap();
    assert_eq!(
        s.findings("req-find").await.unwrap(),
        vec![finding("pii.email"), finding("secrets.aws")]
    );
}

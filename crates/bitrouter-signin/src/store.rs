//! [`TokenStore`]: the sign-in tokens in `$BITROUTER_HOME/credentials.json`, mode 0600.
//!
//! The file is always written whole to a temporary file created with mode 0600 in the same
//! directory, then renamed over the old one, so a reader never sees half a file and the
//! tokens are never readable by others, not even for a moment.
//!
//! A file that group or others can read is **refused**, not silently repaired: its tokens may
//! already have been read, so the user should know (the error says to `chmod 600` it, or to
//! log out and in again to get fresh tokens).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::SigninError;

/// One provider's sign-in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The token sent upstream (for Copilot: the short-lived Copilot token).
    pub access_token: String,
    /// What gets a new access token (for Copilot: the GitHub OAuth token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, in seconds since the Unix epoch; `None` if never told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Who is signed in (login or e-mail), when the provider said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The account id some upstreams want in a header (ChatGPT's `chatgpt-account-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The API base the provider told us to use (Copilot's `endpoints.api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// When the sign-in happened, in seconds since the Unix epoch.
    #[serde(default)]
    pub signed_in_at: u64,
}

impl std::fmt::Debug for Credential {
    // Tokens never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("expires_at", &self.expires_at)
            .field("account", &self.account)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// Whether the access token expires within `margin` seconds of `now`.
    pub fn expires_within(&self, now: u64, margin: u64) -> bool {
        self.expires_at
            .is_some_and(|at| at <= now.saturating_add(margin))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    #[serde(default)]
    providers: BTreeMap<String, Credential>,
}

/// The token file. Cheap to clone; clones share a lock so read-modify-write cycles in one
/// process do not lose each other's updates.
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl TokenStore {
    /// The store in `home` (the file is `home/credentials.json`).
    pub fn in_home(home: &Path) -> Self {
        Self::at(home.join("credentials.json"))
    }

    /// The store at this exact path.
    pub fn at(path: PathBuf) -> Self {
        Self {
            path,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credential stored for `provider`.
    pub fn get(&self, provider: &str) -> Result<Option<Credential>, SigninError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(self.read()?.providers.remove(provider))
    }

    /// Every stored credential, by provider id.
    pub fn all(&self) -> Result<BTreeMap<String, Credential>, SigninError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(self.read()?.providers)
    }

    /// Stores (or replaces) `provider`'s credential.
    pub fn put(&self, provider: &str, credential: Credential) -> Result<(), SigninError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut file = self.read()?;
        file.providers.insert(provider.to_owned(), credential);
        self.write(&file)
    }

    /// Forgets `provider`'s credential; `false` when there was none.
    pub fn remove(&self, provider: &str) -> Result<bool, SigninError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut file = self.read()?;
        let was = file.providers.remove(provider).is_some();
        if was {
            self.write(&file)?;
        }
        Ok(was)
    }

    fn read(&self) -> Result<File, SigninError> {
        let path = self.path.display();
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
            Err(e) => return Err(SigninError::Store(format!("cannot read {path}: {e}"))),
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SigninError::Store(format!(
                "{path} is readable by other users (mode {mode:04o}); its tokens may have leaked. \
                 Run `chmod 600 {path}`, or delete it and sign in again"
            )));
        }
        let text = std::fs::read(&self.path)
            .map_err(|e| SigninError::Store(format!("cannot read {path}: {e}")))?;
        serde_json::from_slice(&text).map_err(|e| {
            SigninError::Store(format!(
                "{path} is not a valid credentials file ({e}); delete it and sign in again"
            ))
        })
    }

    fn write(&self, file: &File) -> Result<(), SigninError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|e| SigninError::Store(format!("cannot create {}: {e}", dir.display())))?;
        let file = File {
            version: 1,
            providers: file.providers.clone(),
        };
        let text = serde_json::to_vec_pretty(&file)
            .map_err(|e| SigninError::Store(format!("cannot encode the credentials: {e}")))?;
        let tmp = self
            .path
            .with_extension(format!("json.tmp-{}", std::process::id()));
        let written = (|| {
            let _ = std::fs::remove_file(&tmp);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            SigninError::Store(format!("cannot write {}: {e}", self.path.display()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(token: &str) -> Credential {
        Credential {
            access_token: token.into(),
            refresh_token: Some("r".into()),
            expires_at: Some(100),
            account: Some("me".into()),
            account_id: None,
            api_base: None,
            signed_in_at: 1,
        }
    }

    #[test]
    fn written_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_home(dir.path());
        assert_eq!(store.get("codex").unwrap(), None);
        store.put("codex", cred("a")).unwrap();
        store.put("claude", cred("b")).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(store.get("codex").unwrap().unwrap().access_token, "a");
        assert!(store.remove("codex").unwrap());
        assert!(!store.remove("codex").unwrap());
        assert_eq!(store.all().unwrap().keys().collect::<Vec<_>>(), ["claude"]);
        assert!(!format!("{:?}", cred("secret")).contains("secret"));
    }

    #[test]
    fn a_readable_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::in_home(dir.path());
        store.put("codex", cred("a")).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.get("codex").unwrap_err().to_string();
        assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn expiry_margin() {
        let c = cred("a");
        assert!(!c.expires_within(10, 60));
        assert!(c.expires_within(40, 60));
        assert!(c.expires_within(100, 0));
    }
}

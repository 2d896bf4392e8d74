//! Envelopes for reasoning proofs a client's protocol has no field for.
//!
//! Upstreams attach opaque proofs to reasoning and tool calls (Anthropic `signature` and
//! `redacted_thinking.data`, Gemini `thoughtSignature`, Responses `encrypted_content`) and
//! reject the next turn when they are missing. A client of another protocol must carry them
//! back unchanged, so an answer encoder puts a foreign proof in a field the client echoes
//! verbatim, as `brsig1.<origin>.<kind>.<payload>`:
//!
//! | kind       | canonical home             | payload                      |
//! |------------|----------------------------|------------------------------|
//! | `sig`      | `Reasoning.signature`      | the signature                |
//! | `call`     | `ToolCall.signature`       | the signature                |
//! | `redacted` | `Reasoning.redacted`       | the redacted data            |
//! | `enc`      | `Reasoning.encrypted`/`id` | `<item id>.<encrypted text>` |
//!
//! Gemini clients hold `thoughtSignature` as bytes (base64 on the wire), so for them the
//! envelope is itself base64-encoded ([`Sealed::wrap_base64`]); [`Sealed::unwrap`] reads both.
//! A request decoder restores the origin from an envelope and gives a bare value its own
//! protocol as origin ([`Sealed::from_client`]).

use bitrouter_core::{Protocol, Reasoning, Signature};

/// The envelope's prefix; the `1` is its version.
const PREFIX: &str = "brsig1.";

/// One opaque proof, with what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sealed {
    /// A reasoning signature.
    Reasoning(Signature),
    /// A tool call's signature.
    Call(Signature),
    /// Anthropic redacted thinking data.
    Redacted(String),
    /// A Responses reasoning item's encrypted content and its id.
    Encrypted {
        /// The item id (`rs_…`), which Responses wants back with the content.
        id: Option<String>,
        /// The encrypted content.
        content: String,
    },
}

impl Sealed {
    /// The envelope text.
    pub(crate) fn wrap(&self) -> String {
        let (origin, kind, payload) = match self {
            Sealed::Reasoning(s) => (s.origin, "sig", s.value.clone()),
            Sealed::Call(s) => (s.origin, "call", s.value.clone()),
            Sealed::Redacted(data) => (Protocol::AnthropicMessages, "redacted", data.clone()),
            Sealed::Encrypted { id, content } => {
                // An id with a dot could not be told from the content; Responses ids have none.
                let id = id.as_deref().filter(|id| !id.contains('.')).unwrap_or("");
                (Protocol::OpenaiResponses, "enc", format!("{id}.{content}"))
            }
        };
        format!("{PREFIX}{origin}.{kind}.{payload}")
    }

    /// The envelope as standard base64, for fields clients hold as bytes (Gemini).
    pub(crate) fn wrap_base64(&self) -> String {
        base64_encode(self.wrap().as_bytes())
    }

    /// Opens an envelope, in text or base64 form; `None` for any other value.
    pub(crate) fn unwrap(value: &str) -> Option<Sealed> {
        if let Some(rest) = value.strip_prefix(PREFIX) {
            return parse(rest);
        }
        // A base64 envelope starts with the base64 of "brsig1." ("YnJzaWcxL").
        if !value.starts_with("YnJzaWcxL") {
            return None;
        }
        let text = String::from_utf8(base64_decode(value)?).ok()?;
        parse(text.strip_prefix(PREFIX)?)
    }

    /// What a client sent in an opaque field: an envelope, or a bare value that an upstream
    /// of the client's own protocol made.
    pub(crate) fn from_client(value: &str, client: Protocol) -> Sealed {
        Sealed::unwrap(value).unwrap_or_else(|| Sealed::Reasoning(Signature::new(client, value)))
    }

    /// The reasoning this proof belongs to, with `text`; a tool call's signature comes back as
    /// `Err` for the caller to attach to the tool call that follows.
    pub(crate) fn into_reasoning(self, text: String) -> Result<Reasoning, Signature> {
        let r = Reasoning {
            text,
            ..Reasoning::default()
        };
        Ok(match self {
            Sealed::Reasoning(s) => Reasoning {
                signature: Some(s),
                ..r
            },
            Sealed::Call(s) => return Err(s),
            Sealed::Redacted(data) => Reasoning {
                redacted: Some(data),
                ..r
            },
            Sealed::Encrypted { id, content } => Reasoning {
                encrypted: Some(content),
                id,
                ..r
            },
        })
    }

    /// The proof of a reasoning part (its signature, else redacted data, else encrypted
    /// content); `None` when it has none.
    pub(crate) fn of_reasoning(r: &Reasoning) -> Option<Sealed> {
        if let Some(s) = &r.signature {
            Some(Sealed::Reasoning(s.clone()))
        } else if let Some(data) = &r.redacted {
            Some(Sealed::Redacted(data.clone()))
        } else {
            r.encrypted.as_ref().map(|content| Sealed::Encrypted {
                id: r.id.clone(),
                content: content.clone(),
            })
        }
    }

    /// The value for a client of `client` that has one opaque field for it: the bare value
    /// when the proof is the client's own kind (a signature made by its protocol, or encrypted
    /// content for a Responses client), otherwise the envelope.
    pub(crate) fn token_for(&self, client: Protocol) -> String {
        match self {
            Sealed::Reasoning(s) | Sealed::Call(s) if s.origin == client => s.value.clone(),
            Sealed::Encrypted { content, .. } if client == Protocol::OpenaiResponses => {
                content.clone()
            }
            _ if client == Protocol::GoogleGenerateContent => self.wrap_base64(),
            _ => self.wrap(),
        }
    }
}

fn parse(rest: &str) -> Option<Sealed> {
    let (origin, rest) = rest.split_once('.')?;
    let origin: Protocol = origin.parse().ok()?;
    let (kind, payload) = rest.split_once('.')?;
    let payload = payload.to_owned();
    match kind {
        "sig" => Some(Sealed::Reasoning(Signature::new(origin, payload))),
        "call" => Some(Sealed::Call(Signature::new(origin, payload))),
        "redacted" => Some(Sealed::Redacted(payload)),
        "enc" => {
            let (id, content) = payload.split_once('.')?;
            Some(Sealed::Encrypted {
                id: (!id.is_empty()).then(|| id.to_owned()),
                content: content.to_owned(),
            })
        }
        _ => None,
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Sealed> {
        vec![
            Sealed::Reasoning(Signature::new(Protocol::AnthropicMessages, "EqQBCg+/=")),
            Sealed::Call(Signature::new(Protocol::GoogleGenerateContent, "CiQB.0e2=")),
            Sealed::Redacted("EmwKAhgBEgy3va3pzix/LafPsn4a".into()),
            Sealed::Encrypted {
                id: Some("rs_1".into()),
                content: "gAAAAB.x-y_z".into(),
            },
            Sealed::Encrypted {
                id: None,
                content: "gAAAAB".into(),
            },
        ]
    }

    #[test]
    fn envelopes_round_trip_in_text_and_base64() {
        for sealed in all() {
            assert_eq!(Sealed::unwrap(&sealed.wrap()), Some(sealed.clone()));
            let b64 = sealed.wrap_base64();
            assert!(
                b64.bytes().all(|c| ALPHABET.contains(&c) || c == b'='),
                "{b64}"
            );
            assert_eq!(Sealed::unwrap(&b64), Some(sealed));
        }
    }

    #[test]
    fn the_text_form_is_readable() {
        let s = Sealed::Call(Signature::new(Protocol::GoogleGenerateContent, "abc"));
        assert_eq!(s.wrap(), "brsig1.google_generate_content.call.abc");
        let e = Sealed::Encrypted {
            id: Some("rs_9".into()),
            content: "gA".into(),
        };
        assert_eq!(e.wrap(), "brsig1.openai_responses.enc.rs_9.gA");
        assert_eq!(base64_encode(b"brsig1."), "YnJzaWcxLg==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_decode("YWI="), Some(b"ab".to_vec()));
    }

    #[test]
    fn bare_values_belong_to_the_client() {
        assert_eq!(Sealed::unwrap("EqQBCgIYAh"), None);
        assert_eq!(Sealed::unwrap("brsig1.nope.sig.x"), None);
        assert_eq!(Sealed::unwrap("brsig1.openai_chat.what.x"), None);
        assert_eq!(
            Sealed::from_client("EqQB", Protocol::AnthropicMessages),
            Sealed::Reasoning(Signature::new(Protocol::AnthropicMessages, "EqQB"))
        );
    }

    #[test]
    fn tokens_are_bare_only_for_their_own_protocol() {
        let sig = Sealed::Reasoning(Signature::new(Protocol::GoogleGenerateContent, "g"));
        assert_eq!(sig.token_for(Protocol::GoogleGenerateContent), "g");
        assert_eq!(
            sig.token_for(Protocol::AnthropicMessages),
            "brsig1.google_generate_content.sig.g"
        );
        let red = Sealed::Redacted("d".into());
        assert_eq!(
            Sealed::unwrap(&red.token_for(Protocol::GoogleGenerateContent)),
            Some(red)
        );
    }

    #[test]
    fn reasoning_proofs_come_back_to_their_fields() {
        let r = Sealed::Encrypted {
            id: Some("rs_1".into()),
            content: "gA".into(),
        }
        .into_reasoning("sum".into());
        assert_eq!(
            r,
            Ok(Reasoning {
                text: "sum".into(),
                encrypted: Some("gA".into()),
                id: Some("rs_1".into()),
                ..Reasoning::default()
            })
        );
        let call = Signature::new(Protocol::GoogleGenerateContent, "c");
        assert_eq!(
            Sealed::Call(call.clone()).into_reasoning(String::new()),
            Err(call)
        );
        let back = Sealed::of_reasoning(&r.unwrap_or_default());
        assert!(matches!(back, Some(Sealed::Encrypted { .. })));
    }
}

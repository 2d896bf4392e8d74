//! AWS Signature Version 4 against AWS's published `aws-sig-v4-test-suite`: for each case the
//! expected canonical request (`.creq`), string to sign (`.sts`) and `Authorization` header
//! (`.authz`) are AWS's, with the suite's credentials, region `us-east-1`, service `service`
//! and time 20150830T123600Z.

#![cfg(feature = "bedrock")]

use bitrouter_providers::{AwsCredentials, SigV4Request, sign_v4};

const DATE: &str = "20150830T123600Z";
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SCOPE: &str = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
/// The session token the suite's `post-sts-token` cases use.
const STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    }
}

struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    /// Headers besides `Host: example.amazonaws.com` and `X-Amz-Date`.
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    /// `None` where the suite's `.creq` and `.authz` disagree (see `post-x-www-form-urlencoded`).
    canonical_request: Option<String>,
    sts_hash: Option<&'static str>,
    signed_headers: &'static str,
    signature: &'static str,
}

fn creq(method: &str, path: &str, query: &str, extra: &[&str], signed: &str) -> String {
    let mut headers = vec!["host:example.amazonaws.com".to_owned()];
    headers.extend(extra.iter().map(|h| (*h).to_owned()));
    headers.push(format!("x-amz-date:{DATE}"));
    headers.sort();
    format!(
        "{method}\n{path}\n{query}\n{}\n\n{signed}\n{EMPTY_HASH}",
        headers.join("\n")
    )
}

fn vectors() -> Vec<Vector> {
    let plain = "host;x-amz-date";
    vec![
        Vector {
            name: "get-vanilla",
            method: "GET",
            path: "/",
            query: &[],
            headers: &[],
            body: "",
            canonical_request: Some(creq("GET", "/", "", &[], plain)),
            sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
            signed_headers: plain,
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "post-vanilla",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[],
            body: "",
            canonical_request: Some(creq("POST", "/", "", &[], plain)),
            sts_hash: Some("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
            signed_headers: plain,
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        },
        Vector {
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            path: "/",
            query: &[("Param2", "value2"), ("Param1", "value1")],
            headers: &[],
            body: "",
            canonical_request: Some(creq("GET", "/", "Param1=value1&Param2=value2", &[], plain)),
            sts_hash: Some("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
            signed_headers: plain,
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        },
        Vector {
            name: "get-vanilla-query-order-value",
            method: "GET",
            path: "/",
            query: &[("Param1", "value2"), ("Param1", "value1")],
            headers: &[],
            body: "",
            canonical_request: Some(creq("GET", "/", "Param1=value1&Param1=value2", &[], plain)),
            sts_hash: Some("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
            signed_headers: plain,
            signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
        },
        Vector {
            name: "get-vanilla-utf8-query",
            method: "GET",
            path: "/",
            query: &[("\u{1234}", "bar")],
            headers: &[],
            body: "",
            canonical_request: Some(creq("GET", "/", "%E1%88%B4=bar", &[], plain)),
            sts_hash: Some("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
            signed_headers: plain,
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        },
        Vector {
            name: "get-unreserved",
            method: "GET",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            query: &[],
            headers: &[],
            body: "",
            canonical_request: Some(creq(
                "GET",
                "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "",
                &[],
                plain,
            )),
            sts_hash: Some("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
            signed_headers: plain,
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        },
        Vector {
            name: "get-header-value-trim",
            method: "GET",
            path: "/",
            query: &[],
            headers: &[("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
            body: "",
            canonical_request: Some(creq(
                "GET",
                "/",
                "",
                &["my-header1:value1", "my-header2:\"a b c\""],
                "host;my-header1;my-header2;x-amz-date",
            )),
            sts_hash: Some("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
            signed_headers: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        },
        Vector {
            name: "get-header-key-duplicate",
            method: "GET",
            path: "/",
            query: &[],
            headers: &[
                ("My-Header1", "value2"),
                ("My-Header1", "value2"),
                ("My-Header1", "value1"),
            ],
            body: "",
            canonical_request: Some(creq(
                "GET",
                "/",
                "",
                &["my-header1:value2,value2,value1"],
                "host;my-header1;x-amz-date",
            )),
            sts_hash: Some("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
            signed_headers: "host;my-header1;x-amz-date",
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        },
        Vector {
            name: "post-header-value-case",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[("My-Header1", "VALUE1")],
            body: "",
            canonical_request: Some(creq(
                "POST",
                "/",
                "",
                &["my-header1:VALUE1"],
                "host;my-header1;x-amz-date",
            )),
            sts_hash: Some("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
            signed_headers: "host;my-header1;x-amz-date",
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
        },
        Vector {
            // The suite's .creq lists content-length too, but its .authz signs
            // content-type;host;x-amz-date; the .authz is what AWS verifies.
            name: "post-x-www-form-urlencoded",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            canonical_request: None,
            sts_hash: None,
            signed_headers: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        },
        Vector {
            name: "post-sts-header-before",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[("X-Amz-Security-Token", STS_TOKEN)],
            body: "",
            canonical_request: None,
            sts_hash: Some("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"),
            signed_headers: "host;x-amz-date;x-amz-security-token",
            signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
        },
    ]
}

#[test]
fn the_published_vectors_sign_alike() {
    for v in vectors() {
        let mut headers = vec![("Host", "example.amazonaws.com"), ("X-Amz-Date", DATE)];
        headers.extend_from_slice(v.headers);
        let signed = sign_v4(
            &SigV4Request {
                method: v.method,
                path: v.path,
                query: v.query,
                headers: &headers,
                body: v.body.as_bytes(),
                region: "us-east-1",
                service: "service",
                amz_date: DATE,
            },
            &credentials(),
        );
        if let Some(expected) = &v.canonical_request {
            assert_eq!(
                &signed.canonical_request, expected,
                "{}: canonical request",
                v.name
            );
        }
        if let Some(hash) = v.sts_hash {
            assert_eq!(
                signed.string_to_sign,
                format!(
                    "AWS4-HMAC-SHA256\n{DATE}\n20150830/us-east-1/service/aws4_request\n{hash}"
                ),
                "{}: string to sign",
                v.name
            );
        }
        assert_eq!(
            signed.authorization,
            format!(
                "AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders={}, Signature={}",
                v.signed_headers, v.signature
            ),
            "{}: authorization",
            v.name
        );
    }
}

#[test]
fn a_changed_secret_or_body_changes_the_signature() {
    let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", DATE)];
    let request = SigV4Request {
        method: "POST",
        path: "/",
        query: &[],
        headers: &headers,
        body: b"",
        region: "us-east-1",
        service: "service",
        amz_date: DATE,
    };
    let good = sign_v4(&request, &credentials()).signature;
    let mut wrong = credentials();
    wrong.secret_access_key.push('x');
    assert_ne!(sign_v4(&request, &wrong).signature, good);
    let with_body = SigV4Request {
        body: b"{}",
        ..request
    };
    assert_ne!(sign_v4(&with_body, &credentials()).signature, good);
}

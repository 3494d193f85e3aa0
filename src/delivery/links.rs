//! Signatures (PURE): signed acknowledge links, and the checks on inbound
//! callbacks from Twilio and Slack. Every comparison is constant-time.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A link token for `action` ("ack", "resolve") on message `message_id`,
/// valid until `exp` (unix seconds): "{message}.{action}.{exp}.{sig}".
pub fn sign_link(secret: &str, message_id: &str, action: &str, exp: i64) -> String {
    let payload = format!("{message_id}.{action}.{exp}");
    let sig = crate::ids::hex(&crate::ids::hmac_sha256(
        secret.as_bytes(),
        payload.as_bytes(),
    ));
    format!("{payload}.{}", &sig[..32])
}

/// The (message, action) a link token names, if its signature holds and it
/// has not expired at `now` (unix seconds).
pub fn verify_link(secret: &str, token: &str, now: i64) -> Result<(String, String), &'static str> {
    let mut parts = token.rsplitn(2, '.');
    let (Some(sig), Some(payload)) = (parts.next(), parts.next()) else {
        return Err("malformed link");
    };
    let want = crate::ids::hex(&crate::ids::hmac_sha256(
        secret.as_bytes(),
        payload.as_bytes(),
    ));
    if !eq(sig.as_bytes(), &want.as_bytes()[..32.min(want.len())]) {
        return Err("bad signature");
    }
    let mut f = payload.split('.');
    let (Some(msg), Some(action), Some(exp)) = (f.next(), f.next(), f.next()) else {
        return Err("malformed link");
    };
    let exp: i64 = exp.parse().map_err(|_| "malformed link")?;
    if now > exp {
        return Err("the link has expired");
    }
    Ok((msg.to_string(), action.to_string()))
}

/// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, the full
/// URL followed by each POST field name and value, sorted by name)).
/// https://www.twilio.com/docs/usage/security#validating-requests
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn verify_twilio(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    given: &str,
) -> bool {
    eq(
        twilio_signature(auth_token, url, params).as_bytes(),
        given.as_bytes(),
    )
}

/// Slack's signature: "v0=" + hex(HMAC-SHA256(signing secret,
/// "v0:{timestamp}:{body}")); requests older than five minutes are
/// refused, against replay.
/// https://api.slack.com/authentication/verifying-requests-from-slack
pub fn slack_signature(secret: &str, ts: &str, body: &[u8]) -> String {
    let mut data = format!("v0:{ts}:").into_bytes();
    data.extend_from_slice(body);
    format!(
        "v0={}",
        crate::ids::hex(&crate::ids::hmac_sha256(secret.as_bytes(), &data))
    )
}

pub const SLACK_WINDOW_SECS: i64 = 300;

pub fn verify_slack(
    secret: &str,
    ts: &str,
    body: &[u8],
    given: &str,
    now: i64,
) -> Result<(), &'static str> {
    let t: i64 = ts.parse().map_err(|_| "bad timestamp")?;
    if (now - t).abs() > SLACK_WINDOW_SECS {
        return Err("stale timestamp (possible replay)");
    }
    if eq(
        slack_signature(secret, ts, body).as_bytes(),
        given.as_bytes(),
    ) {
        Ok(())
    } else {
        Err("bad signature")
    }
}

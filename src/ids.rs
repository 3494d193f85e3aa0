//! Ids, secrets and digests shared by every layer: random public ids
//! (`alt_3f9a…`), 256-bit secrets stored only as their SHA-256, hex, and
//! HMAC-SHA256. Kept out of `api` so the engine, the dispatcher and the
//! providers need not depend on the HTTP layer.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// A new secret with a readable prefix, and the hash to store.
pub fn new_secret(prefix: &str) -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let secret = format!("{prefix}{}", hex(&bytes));
    let hash = hash(&secret);
    (secret, hash)
}

/// A random public id such as `tok_3f9a…` (not a secret).
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 8] = rand::random();
    format!("{prefix}{}", hex(&bytes))
}

/// The SHA-256 of a secret, in hex: what the database keeps.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The first characters of a secret, for logs.
pub fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(8).collect();
    format!("{head}…")
}

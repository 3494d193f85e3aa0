//! The console channel: prints each page to standard output, so a server
//! with no provider credentials still shows the whole flow.

use super::{Notifier, Outgoing};
use crate::delivery::retry::SendError;

pub struct Console;

#[async_trait::async_trait]
impl Notifier for Console {
    async fn send(&self, out: &Outgoing) -> Result<String, SendError> {
        let m = &out.message;
        let to = match (&m.person, m.address.as_str()) {
            (Some(p), "") => p.clone(),
            (Some(p), a) => format!("{p} <{a}>"),
            (None, a) => a.to_string(),
        };
        if out.is_notice() {
            println!(
                "NOTICE [{} → {}] {}",
                m.channel.as_str(),
                crate::logs::one_line(&to),
                crate::logs::one_line(&out.text)
            );
            return Ok(format!("console-{}", out.idempotency_key));
        }
        println!(
            "PAGE [{} → {}] {} (acknowledge: {})",
            m.channel.as_str(),
            crate::logs::one_line(&to),
            crate::logs::one_line(&out.text),
            out.ack_url
        );
        Ok(format!("console-{}", out.idempotency_key))
    }
}

//! Email over SMTP (lettre): the page as the subject, and a body with the
//! signed acknowledge and resolve links. The Message-ID carries the
//! idempotency key, so a resend after a crash threads with the first.
//! TLS is STARTTLS by default (`VIGIL_SMTP_TLS=tls` for implicit TLS,
//! `none` for a local relay).

use super::{Notifier, Outgoing};
use crate::delivery::retry::SendError;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct Email {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl Email {
    pub fn new(
        host: &str,
        port: u16,
        tls: &str,
        credentials: Option<(String, secrecy::SecretString)>,
        from: String,
        timeout: std::time::Duration,
    ) -> Result<Email, String> {
        let builder = match tls {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            "tls" => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?
            }
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| e.to_string())?,
        };
        let mut builder = builder.port(port).timeout(Some(timeout));
        if let Some((user, pass)) = credentials {
            let pass = secrecy::ExposeSecret::expose_secret(&pass).to_string();
            builder = builder.credentials(Credentials::new(user, pass));
        }
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("VIGIL_SMTP_FROM: {e}"))?;
        Ok(Email {
            mailer: builder.build(),
            from,
        })
    }
}

/// The mail body: the page, then the links.
pub fn body(out: &Outgoing) -> String {
    if out.is_notice() {
        return format!("{}\n", out.text);
    }
    let mut b = String::new();
    for i in &out.message.items {
        b.push_str(&format!(
            "[{}] {}: {} (from {})\n",
            i.priority.as_str(),
            i.service,
            i.summary,
            i.source
        ));
        if let Some(l) = &i.link {
            b.push_str(&format!("  Runbook: {l}\n"));
        }
    }
    b.push_str(&format!(
        "\nOpen in Vigil: {}\nAcknowledge: {}\nResolve: {}\n",
        out.console_url, out.ack_url, out.resolve_url
    ));
    b
}

#[async_trait::async_trait]
impl Notifier for Email {
    async fn send(&self, out: &Outgoing) -> Result<String, SendError> {
        let bad = |e: String| SendError::Permanent(e);
        let to = out
            .message
            .address
            .parse()
            .map_err(|e| bad(format!("{}: {e}", out.message.address)))?;
        let from = self.from.parse().map_err(|e| bad(format!("from: {e}")))?;
        let id = format!("<{}@vigil>", out.idempotency_key);
        let mail = Message::builder()
            .from(from)
            .to(to)
            .subject(out.text.chars().take(200).collect::<String>())
            .message_id(Some(id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(body(out))
            .map_err(|e| bad(e.to_string()))?;
        match self.mailer.send(mail).await {
            Ok(_) => Ok(id),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Retryable(e.to_string())),
        }
    }
}

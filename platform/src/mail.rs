//! Outgoing mail over SMTP: a local catcher in `make dev` and tests, a real
//! relay in production.

use crate::config::MailConfig;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::Mailbox, transport::smtp::Error as SmtpError,
};
use secrecy::ExposeSecret;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration is invalid: {0}")]
    Config(String),
    #[error("address {0:?} cannot receive mail")]
    Address(String),
    #[error("sending mail failed: {0}")]
    Send(#[from] SmtpError),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(cfg: &MailConfig) -> Result<Self, MailError> {
        // lettre's own error would echo the URL and its password.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(cfg.smtp_url.expose_secret())
            .map_err(|_| MailError::Config("SMTP_URL is not a valid smtp:// or smtps:// URL".into()))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from =
            cfg.from.parse().map_err(|_| MailError::Config(format!("MAIL_FROM {:?} is not a mailbox", cfg.from)))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| MailError::Config(e.to_string()))?;
        self.transport.send(message).await?;
        Ok(())
    }
}

//! Account emails. They are sent after the response, on their own task: a
//! failure is logged (without the link) and neither the answer nor its
//! timing may reveal whether an address has an account.

use crate::AppState;
use tracing::Instrument;

async fn send(state: &AppState, to: &str, subject: &str, body: String) {
    let mailer = state.mailer.clone();
    let (to, subject) = (to.to_owned(), subject.to_owned());
    tokio::spawn(
        async move {
            if let Err(e) = mailer.send(&to, &subject, body).await {
                tracing::error!(error = %e, subject, "sending mail failed");
            }
        }
        .instrument(tracing::Span::current()),
    );
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", state.config.api.public_web_url)
}

pub async fn verify_email(state: &AppState, to: &str, token: &str) {
    let body = format!(
        "Welcome to Reelpilot.\n\nConfirm your email address by opening this link within 48 hours:\n\n{}\n\n\
         If you did not create an account, ignore this message.\n",
        link(state, "/verify-email", token)
    );
    send(state, to, "Confirm your email address", body).await;
}

pub async fn already_registered(state: &AppState, to: &str) {
    let body = format!(
        "Someone tried to create a Reelpilot account with this address, which already has one.\n\n\
         If it was you, sign in at {}/login or reset your password there.\nIf not, you can ignore this message.\n",
        state.config.api.public_web_url
    );
    send(state, to, "You already have a Reelpilot account", body).await;
}

pub async fn password_reset(state: &AppState, to: &str, token: &str) {
    let body = format!(
        "Reset your Reelpilot password by opening this link within one hour:\n\n{}\n\n\
         The link works once. Resetting signs you out everywhere.\n\
         If you did not ask for this, ignore this message: your password stays as it is.\n",
        link(state, "/reset-password", token)
    );
    send(state, to, "Reset your password", body).await;
}

pub async fn invitation(state: &AppState, to: &str, org_name: &str, role: &str, token: &str) {
    let body = format!(
        "You have been invited to join {org_name} on Reelpilot as {role}.\n\n\
         Accept within 7 days (sign in or create an account with this address first):\n\n{}\n",
        link(state, "/invitations/accept", token)
    );
    send(state, to, &format!("Join {org_name} on Reelpilot"), body).await;
}

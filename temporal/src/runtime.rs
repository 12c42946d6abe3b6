//! Client connection and worker runtime, shared by the API and the worker.

use std::time::Duration;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("Temporal at {address} is unreachable after {waited:?}: {last}")]
    Unreachable { address: String, waited: Duration, last: String },
    #[error("Temporal client options are invalid: {0}")]
    Options(String),
}

/// Connects to the Temporal frontend, retrying until `timeout` (the SDK's
/// own connect does not retry, and the server may still be starting).
pub async fn connect(
    address: &url::Url,
    namespace: &str,
    identity: &str,
    timeout: Duration,
) -> Result<Client, ConnectError> {
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        let opts = ConnectionOptions::new(address.clone()).identity(identity.to_owned()).build();
        match Connection::connect(opts).await {
            Ok(conn) => {
                return Client::new(conn, ClientOptions::new(namespace.to_owned()).build())
                    .map_err(|e| ConnectError::Options(e.to_string()));
            }
            Err(e) if started.elapsed() < timeout => {
                tracing::warn!(error = %e, address = %address, "Temporal not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                return Err(ConnectError::Unreachable {
                    address: address.to_string(),
                    waited: started.elapsed(),
                    last: e.to_string(),
                });
            }
        }
    }
}

//! One TLS crypto provider for the process: ring, which every TLS client
//! here (rustls under reqwest, aws-sdk-s3, vaultrs, lettre) is built with.

/// Installs ring as rustls' process-wide provider (a no-op after the first call).
pub fn install_ring_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

//! `VAULT_SIM_ROOT_TOKEN=... reelpilot-vault-sim [addr]`: the Vault
//! simulator as a process (KV v2 at `secret/`, Transit at `transit/`), for
//! trying the Vault secret store without a Vault.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8200".into());
    let Ok(root_token) = std::env::var("VAULT_SIM_ROOT_TOKEN") else {
        eprintln!("VAULT_SIM_ROOT_TOKEN must be set to the root token clients will use");
        std::process::exit(2);
    };
    let sim = testkit::vault::VaultSimulator::new(root_token);
    let base = sim.serve(addr.parse().expect("an address like 127.0.0.1:8200")).await?;
    eprintln!("Vault simulator at {base} (KV v2 at secret/, Transit at transit/)");
    std::future::pending::<()>().await;
    Ok(())
}

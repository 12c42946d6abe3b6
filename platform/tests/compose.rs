//! docker-compose.yml cannot run on machines without a Docker engine, so this
//! keeps it honest instead: the services the map promises exist, the API and
//! worker get only variables the code reads, and their configuration parses.

use platform::{Config, config::ENV_VARS};
use serde_yaml::Value;
use std::{collections::BTreeMap, path::Path};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn compose() -> Value {
    let text = std::fs::read_to_string(root().join("docker-compose.yml")).unwrap();
    let mut value: Value = serde_yaml::from_str(&text).expect("docker-compose.yml is valid YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    let env = service.get("environment").and_then(Value::as_mapping).expect("service has an environment map");
    env.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => panic!("{k:?}: compose values must be strings, got {other:?}"),
            };
            (k.as_str().unwrap().to_owned(), v)
        })
        .collect()
}

#[test]
fn compose_has_the_production_like_stack() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    for name in [
        "postgres",
        "temporal",
        "temporal-ui",
        "vault",
        "s3",
        "otel-collector",
        "jaeger",
        "api",
        "worker",
        "web",
        "migrate",
    ] {
        assert!(services.contains_key(name), "service {name} is missing");
    }
    assert!(compose["services"]["postgres"]["image"].as_str().unwrap().contains("pgvector"));
    let setup = serde_yaml::to_string(&compose["services"]["temporal-setup"]).unwrap();
    for attribute in ["OrgId", "ProjectId", "SlotId"] {
        assert!(setup.contains(attribute), "search attribute {attribute} is not registered");
    }
    for (_, service) in services {
        if let Some(file) = service.get("build").and_then(|b| b.get("dockerfile")).and_then(Value::as_str) {
            assert!(root().join(file).is_file(), "{file} does not exist");
        }
    }
}

#[test]
fn app_services_set_only_variables_the_code_reads_and_their_config_parses() {
    let compose = compose();
    for name in ["api", "worker", "migrate"] {
        let env = environment(&compose["services"][name]);
        for key in env.keys() {
            assert!(ENV_VARS.iter().any(|v| v.name == key), "{name} sets {key}, which the code never reads");
        }
        let config = Config::from_lookup(|k| env.get(k).cloned())
            .unwrap_or_else(|e| panic!("{name}'s environment does not configure the app: {e}"));
        assert_eq!(config.temporal.address.host_str(), Some("temporal"), "{name} must reach the compose Temporal");
        match &config.storage {
            platform::config::StorageConfig::S3(s3) => {
                assert_eq!(s3.endpoint.as_deref(), Some("http://s3:9000"), "{name} must use the compose S3")
            }
            other => panic!("{name} stores objects in {other:?}, not the compose S3"),
        }
        match &config.secrets {
            platform::config::SecretStoreConfig::Vault(vault) => {
                assert_eq!(vault.address, "http://vault:8200", "{name} must use the compose Vault")
            }
            other => panic!("{name} keeps secrets in {other:?}, not the compose Vault"),
        }
    }
}

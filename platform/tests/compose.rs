//! docker-compose.yml cannot run on machines without a Docker engine, so this
//! keeps it honest instead: the services the map promises exist, the API and
//! worker get only variables the code reads, and their configuration parses;
//! only the web app is published to the world, no secret is written in the
//! file, Vault is a real server that `vault-init` unseals and hands out an
//! AppRole, and nginx tells the API who the client is (only nginx may).

use platform::{
    Config,
    client_ip::{Network, TrustedProxies},
    config::{ENV_VARS, SecretStoreConfig, VaultAuth},
};
use serde_yaml::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    net::{IpAddr, Ipv4Addr},
    path::Path,
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compose_text() -> String {
    read("docker-compose.yml")
}

fn compose() -> Value {
    let mut value: Value = serde_yaml::from_str(&compose_text()).expect("docker-compose.yml is valid YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

fn services(compose: &Value) -> Vec<(String, Value)> {
    compose["services"]
        .as_mapping()
        .expect("services")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone()))
        .collect()
}

/// A service's environment as written (before interpolation); empty if none.
fn raw_environment(service: &Value) -> BTreeMap<String, String> {
    let Some(env) = service.get("environment") else { return BTreeMap::new() };
    let env = env.as_mapping().expect("environments are maps (KEY: value)");
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

fn environment(service: &Value) -> BTreeMap<String, String> {
    assert!(service.get("environment").is_some(), "service has no environment");
    raw_environment(service).into_iter().map(|(k, v)| (k, interpolate(&v))).collect()
}

/// One `${...}` of the compose file.
#[derive(Debug, PartialEq, Eq)]
struct Interpolation {
    name: String,
    /// `:?`, `?`, `:-`, `-` or empty.
    operator: String,
    word: String,
}

/// The `${...}` in `text` and what lies around them (`$$` is a literal `$`).
fn interpolations(text: &str) -> Vec<Interpolation> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        if let Some(after) = after.strip_prefix('$') {
            rest = after;
            continue;
        }
        let Some(body) = after.strip_prefix('{') else {
            rest = after;
            continue;
        };
        let end = body.find('}').unwrap_or_else(|| panic!("{text:?}: unclosed ${{"));
        let expr = &body[..end];
        assert!(!expr.contains('$'), "{text:?}: nested interpolation is not supported here");
        let name_end = expr.find([':', '-', '?']).unwrap_or(expr.len());
        let (name, tail) = expr.split_at(name_end);
        let operator_len = if tail.starts_with(':') { 2 } else { tail.len().min(1) };
        let (operator, word) = tail.split_at(operator_len);
        found.push(Interpolation { name: name.to_owned(), operator: operator.to_owned(), word: word.to_owned() });
        rest = &body[end + 1..];
    }
    found
}

/// What compose makes of `text` when `.env` gives every required variable a
/// value: `${NAME:-default}` is the default, `${NAME:?message}` a sample.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(after) = after.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let body = after.strip_prefix('{').unwrap_or_else(|| panic!("{text:?}: write ${{NAME}} (or $$ for a $)"));
        let end = body.find('}').unwrap_or_else(|| panic!("{text:?}: unclosed ${{"));
        let one = interpolations(&rest[i..i + 3 + end]).pop().unwrap();
        out.push_str(&match one.operator.as_str() {
            ":-" | "-" => one.word,
            _ => format!("sample-{}", one.name.to_lowercase().replace('_', "-")),
        });
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether `value` is exactly one required interpolation, `${NAME:?message}`.
fn is_required_interpolation(value: &str) -> bool {
    let all = interpolations(value);
    matches!(all.as_slice(), [one] if one.operator == ":?" && value == format!("${{{}:?{}}}", one.name, one.word))
}

/// The authority of a URL (what follows `scheme://`), a `${...}` counting as
/// part of it whatever it holds.
fn url_authority(after_scheme: &str) -> &str {
    let mut depth = 0;
    for (i, c) in after_scheme.char_indices() {
        match c {
            '{' if after_scheme[..i].ends_with('$') => depth += 1,
            '}' if depth > 0 => depth -= 1,
            '/' | '?' | '#' | ' ' | '"' | '\'' if depth == 0 => return &after_scheme[..i],
            _ => {}
        }
    }
    after_scheme
}

/// Every string anywhere under `value`.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Mapping(map) => map.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out)
        }),
        Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

fn volumes(service: &Value) -> Vec<String> {
    service
        .get("volumes")
        .and_then(Value::as_sequence)
        .map(|v| v.iter().map(|v| v.as_str().expect("short volume syntax").to_owned()).collect())
        .unwrap_or_default()
}

fn depends_on_completion(service: &Value, on: &str) -> bool {
    service["depends_on"][on]["condition"].as_str() == Some("service_completed_successfully")
}

/// The `ENTRYPOINT` of a Dockerfile, as its exec-form array.
fn dockerfile_entrypoint(path: &str) -> Vec<String> {
    let text = read(path);
    let line = text.lines().rfind(|l| l.starts_with("ENTRYPOINT")).unwrap_or_else(|| panic!("{path}: no ENTRYPOINT"));
    serde_json::from_str(line.trim_start_matches("ENTRYPOINT").trim())
        .unwrap_or_else(|e| panic!("{path}: ENTRYPOINT is not in exec form ({e})"))
}

/// The AppRole the images' entrypoint reads from the vault-approle volume.
const APPROLE_DIR: &str = "/run/vault-approle";

#[test]
fn compose_has_the_production_like_stack() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    for name in [
        "postgres",
        "temporal",
        "temporal-ui",
        "vault",
        "vault-init",
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
        for volume in volumes(service) {
            if let Some(file) = volume.strip_prefix("./") {
                let file = file.split(':').next().unwrap();
                assert!(root().join(file).exists(), "{volume}: {file} does not exist");
            }
        }
    }
}

#[test]
fn app_services_set_only_variables_the_code_reads_and_their_config_parses() {
    let compose = compose();
    for name in ["api", "worker", "migrate"] {
        let service = &compose["services"][name];
        let mut env = environment(service);
        for key in env.keys() {
            assert!(ENV_VARS.iter().any(|v| v.name == key), "{name} sets {key}, which the code never reads");
        }
        // What deploy/vault-approle-env.sh adds from the vault-approle volume.
        assert!(
            volumes(service).iter().any(|v| v == &format!("vault-approle:{APPROLE_DIR}:ro")),
            "{name} must mount the vault-approle volume read-only at {APPROLE_DIR}"
        );
        env.insert("VAULT_ROLE_ID".into(), "sample-role-id".into());
        env.insert("VAULT_SECRET_ID".into(), "sample-secret-id".into());
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
            SecretStoreConfig::Vault(vault) => {
                assert_eq!(vault.address, "http://vault:8200", "{name} must use the compose Vault");
                assert!(
                    matches!(&vault.auth, VaultAuth::AppRole { mount, role_id, .. }
                        if mount == "approle" && role_id == "sample-role-id"),
                    "{name} must log in with the AppRole vault-init leaves, not a token: {:?}",
                    vault.auth
                );
                // deploy/vault-policy.hcl and deploy/vault-init.sh name these.
                assert_eq!(
                    (vault.kv_mount.as_str(), vault.path_prefix.as_str()),
                    ("secret", "reelpilot"),
                    "{name}: the Vault policy covers secret/data/reelpilot/ only"
                );
                assert_eq!(
                    (vault.transit_mount.as_str(), vault.transit_key.as_str()),
                    ("transit", "reelpilot"),
                    "{name}: the Vault policy covers transit's reelpilot key only"
                );
            }
            other => panic!("{name} keeps secrets in {other:?}, not the compose Vault"),
        }
    }
}

/// The host address of one `ports:` entry, or `None` for all interfaces.
fn published_host_ip(entry: &Value) -> Option<String> {
    match entry {
        Value::Mapping(_) => entry.get("host_ip").and_then(Value::as_str).map(interpolate),
        Value::String(s) => {
            let s = interpolate(s);
            let s = s.split('/').next().unwrap();
            // [HOST_IP:][HOST_PORT:]CONTAINER_PORT; an IPv6 host is in brackets.
            let parts: Vec<&str> = s.rsplitn(3, ':').collect();
            (parts.len() == 3).then(|| parts[2].trim_start_matches('[').trim_end_matches(']').to_owned())
        }
        Value::Number(_) => None,
        other => panic!("unexpected ports entry {other:?}"),
    }
}

#[test]
fn only_the_web_app_is_published_on_all_interfaces() {
    let compose = compose();
    let mut public = Vec::new();
    for (name, service) in services(&compose) {
        assert!(service.get("network_mode").is_none(), "{name} must stay on the compose network (network_mode)");
        let ports = service.get("ports").and_then(Value::as_sequence).cloned().unwrap_or_default();
        for entry in &ports {
            match published_host_ip(entry) {
                Some(ip) if ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) => {}
                other => public.push(format!("{name}: {entry:?} (host address {other:?})")),
            }
        }
    }
    assert_eq!(public.len(), 1, "exactly one port may be public, the web app's: {public:#?}");
    assert!(public[0].starts_with("web:"), "the one public port must be the web app's: {public:#?}");
    let web = compose["services"]["web"]["ports"].as_sequence().unwrap();
    let web = interpolate(web[0].as_str().unwrap());
    assert!(web.ends_with(":80"), "the web app publishes nginx's port 80, not {web}");

    // Unauthenticated or internal services publish nothing, not even on 127.0.0.1.
    for name in ["postgres", "temporal-db", "temporal", "vault", "vault-init", "otel-collector", "api", "worker"] {
        assert!(compose["services"][name].get("ports").is_none(), "{name} must not publish a port");
    }
    // MinIO: the console for the operator on 127.0.0.1, never the S3 API itself.
    for entry in compose["services"]["s3"].get("ports").and_then(Value::as_sequence).into_iter().flatten() {
        let entry = interpolate(entry.as_str().expect("short syntax"));
        assert!(!entry.ends_with(":9000"), "s3 publishes its S3 API ({entry}); keep it on the compose network");
    }
}

#[test]
fn no_secret_is_written_in_the_compose_file() {
    let compose = compose();
    // Names that look like secrets and are not (which store, where, which key).
    let not_secrets = ["SECRET_STORE", "SECRETS_DIR", "VAULT_TRANSIT_KEY"];
    let secret_like = |key: &str| {
        let key = key.to_uppercase();
        !not_secrets.contains(&key.as_str())
            && ["PASSWORD", "PWD", "SECRET", "TOKEN", "_KEY", "ROOT_USER"].iter().any(|p| key.contains(p))
    };
    let mut checked = BTreeSet::new();
    for (name, service) in services(&compose) {
        for (key, value) in raw_environment(&service) {
            if secret_like(&key) {
                assert!(
                    is_required_interpolation(&value),
                    "{name} sets {key} to {value:?}: secrets come from .env as ${{NAME:?set it in .env}}"
                );
                checked.insert(key.clone());
            }
            if ENV_VARS.iter().any(|v| v.name == key && v.secret) {
                assert!(
                    interpolations(&value).iter().any(|i| i.operator == ":?"),
                    "{name} sets {key}, a secret, without taking any of it from .env: {value:?}"
                );
            }
            assert!(!key.starts_with("VAULT_DEV_"), "{name} sets {key}: Vault must not run in dev mode");
        }
        assert!(
            !raw_environment(&service).contains_key("VAULT_TOKEN"),
            "{name} sets VAULT_TOKEN: the app logs in with the AppRole vault-init issues"
        );
        // Passwords in URLs (DATABASE_URL, mc aliases, ...), anywhere in the service.
        let mut all = Vec::new();
        strings(&service, &mut all);
        for s in all {
            for (i, _) in s.match_indices("://") {
                let authority = url_authority(&s[i + 3..]);
                if let Some((userinfo, _)) = authority.rsplit_once('@')
                    && let Some((_, password)) = userinfo.split_once(':')
                {
                    assert!(
                        is_required_interpolation(password),
                        "{name}: {s:?} has a password written out; use ${{NAME:?set it in .env}}"
                    );
                }
            }
        }
    }
    for key in ["POSTGRES_PASSWORD", "POSTGRES_PWD", "MINIO_ROOT_PASSWORD", "S3_SECRET_ACCESS_KEY", "S3_ACCESS_KEY_ID"]
    {
        assert!(checked.contains(key), "{key} is no longer checked: did the compose file change shape?");
    }
    let database_url = &compose["services"]["api"]["environment"]["DATABASE_URL"];
    assert!(database_url.as_str().unwrap().contains(":${"), "DATABASE_URL's password must come from .env");
}

#[test]
fn vault_runs_as_a_real_server_that_vault_init_unseals() {
    let compose = compose();
    let vault = &compose["services"]["vault"];
    assert!(
        raw_environment(vault).keys().all(|k| !k.starts_with("VAULT_DEV_")),
        "vault must not be configured for dev mode"
    );
    let command: Vec<&str> =
        vault["command"].as_sequence().expect("vault has a command").iter().map(|v| v.as_str().unwrap()).collect();
    assert!(command.contains(&"server"), "vault must run `vault server`: {command:?}");
    assert!(!command.iter().any(|a| a.starts_with("-dev")), "vault must not run in dev mode: {command:?}");
    let config = command
        .iter()
        .find_map(|a| a.strip_prefix("-config="))
        .unwrap_or_else(|| panic!("vault server needs -config=FILE: {command:?}"));
    let mounted = volumes(vault)
        .into_iter()
        .find_map(|v| {
            let mut parts = v.split(':');
            let (source, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
            (target == config).then_some(source)
        })
        .unwrap_or_else(|| panic!("vault's {config} is not mounted from the repository"));
    let hcl = read(mounted.trim_start_matches("./"));
    assert!(hcl.contains("storage \"file\""), "{mounted}: Vault keeps its data in file storage");
    let data = hcl
        .lines()
        .find_map(|l| l.trim().strip_prefix("path").map(|p| p.trim_start_matches([' ', '=']).trim_matches('"')))
        .unwrap_or_else(|| panic!("{mounted}: file storage needs a path"));
    assert!(
        volumes(vault).iter().any(|v| !v.starts_with("./") && v.split(':').nth(1) == Some(data)),
        "vault's {data} must be a named volume, or its data is lost with the container"
    );

    let init = &compose["services"]["vault-init"];
    assert_eq!(init["depends_on"]["vault"]["condition"].as_str(), Some("service_started"), "vault starts sealed");
    let entrypoint = serde_yaml::to_string(&init["entrypoint"]).unwrap();
    assert!(entrypoint.contains("/deploy/vault-init.sh"), "vault-init must run deploy/vault-init.sh: {entrypoint}");
    let init_volumes = volumes(init);
    assert!(init_volumes.iter().any(|v| v.starts_with("./deploy/vault-init.sh:")), "{init_volumes:?}");
    assert!(init_volumes.iter().any(|v| v.starts_with("./deploy/vault-policy.hcl:")), "{init_volumes:?}");
    let keys = init_volumes
        .iter()
        .find(|v| v.ends_with(":/vault/init"))
        .unwrap_or_else(|| panic!("vault-init keeps the unseal key and root token in a volume at /vault/init"));
    let keys_volume = keys.split(':').next().unwrap();
    for (name, service) in services(&compose) {
        if name != "vault-init" {
            assert!(
                volumes(&service).iter().all(|v| v.split(':').next() != Some(keys_volume)),
                "{name} mounts {keys_volume}, which holds Vault's unseal key and root token"
            );
        }
    }

    let script = read("deploy/vault-init.sh");
    for step in [
        "vault operator init",
        "vault operator unseal",
        "-path=secret kv-v2",
        "-path=transit transit",
        "auth enable -path=approle approle",
        "derived=true",
        "vault policy write",
        "auth/approle/role/$ROLE/secret-id",
        "role_id",
    ] {
        assert!(script.contains(step), "deploy/vault-init.sh no longer does `{step}`");
    }
    let policy = read("deploy/vault-policy.hcl");
    for path in [
        "secret/data/reelpilot/org/*",
        "secret/metadata/reelpilot/org/*",
        "transit/encrypt/reelpilot",
        "transit/decrypt/reelpilot",
        "transit/rewrap/reelpilot",
        "transit/keys/reelpilot",
    ] {
        assert!(policy.contains(&format!("path \"{path}\"")), "deploy/vault-policy.hcl does not grant {path}");
    }
    for line in policy.lines().filter(|l| l.trim_start().starts_with("path ")) {
        let path = line.trim_start().trim_start_matches("path ").trim().trim_end_matches('{').trim().trim_matches('"');
        assert!(
            path.starts_with("secret/data/reelpilot/")
                || path.starts_with("secret/metadata/reelpilot/")
                || (path.starts_with("transit/") && path.contains("/reelpilot")),
            "deploy/vault-policy.hcl grants {path}, beyond what Reelpilot needs"
        );
    }
    assert!(!policy.contains("\"sudo\"") && !policy.contains("\"list\""), "the policy needs no sudo or list");
}

#[test]
fn app_services_log_in_to_vault_with_the_approle_vault_init_leaves() {
    let compose = compose();
    let init_volumes = volumes(&compose["services"]["vault-init"]);
    assert!(
        init_volumes.iter().any(|v| v == "vault-approle:/vault/approle"),
        "vault-init writes the AppRole into the vault-approle volume: {init_volumes:?}"
    );
    let script = read("deploy/vault-init.sh");
    assert!(script.contains("APPROLE_DIR=/vault/approle"), "deploy/vault-init.sh writes elsewhere");
    let wrapper = read("deploy/vault-approle-env.sh");
    assert!(wrapper.contains(&format!("dir={APPROLE_DIR}")), "deploy/vault-approle-env.sh reads elsewhere");
    for file in ["role-id", "secret-id"] {
        assert!(script.contains(&format!("$APPROLE_DIR/{file}")), "vault-init does not write {file}");
        assert!(wrapper.contains(&format!("$dir/{file}")), "the entrypoint does not read {file}");
    }
    assert!(wrapper.contains("export VAULT_ROLE_ID VAULT_SECRET_ID") && wrapper.contains("exec \"$@\""));

    for (dockerfile, binary) in
        [("deploy/Dockerfile.api", "reelpilot-api"), ("deploy/Dockerfile.worker", "reelpilot-worker")]
    {
        assert_eq!(
            dockerfile_entrypoint(dockerfile),
            ["vault-approle-env", binary],
            "{dockerfile} must start {binary} through deploy/vault-approle-env.sh"
        );
        assert!(
            read(dockerfile).contains("COPY deploy/vault-approle-env.sh /usr/local/bin/vault-approle-env"),
            "{dockerfile} must install deploy/vault-approle-env.sh"
        );
    }
    for name in ["api", "worker", "migrate"] {
        let service = &compose["services"][name];
        assert!(service.get("entrypoint").is_none(), "{name} must keep the image's entrypoint (the AppRole wrapper)");
        assert!(depends_on_completion(service, "vault-init"), "{name} must wait for vault-init to finish");
    }
}

/// The `location` blocks of an nginx configuration: what follows `location`
/// (normalised) and the block's directives (normalised, without `;`).
fn nginx_locations(conf: &str) -> Vec<(String, Vec<String>)> {
    let text: String = conf.lines().map(|l| l.split('#').next().unwrap()).collect::<Vec<_>>().join("\n");
    let normalise = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut found = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("location ") {
        let open = rest[i..].find('{').expect("location without a block") + i;
        let header = normalise(&rest[i + "location ".len()..open]);
        let mut depth = 0;
        let mut close = open;
        for (j, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                close = open + j;
                break;
            }
        }
        let body = &rest[open + 1..close];
        found.push((header, body.split(';').map(normalise).filter(|d| !d.is_empty()).collect()));
        rest = &rest[close + 1..];
    }
    found
}

#[test]
fn nginx_tells_the_api_the_client_address_on_every_proxied_location() {
    let conf = read("deploy/nginx.conf");
    let locations = nginx_locations(&conf);
    let proxied: Vec<_> = locations.iter().filter(|(_, d)| d.iter().any(|d| d.starts_with("proxy_pass "))).collect();
    let headers: Vec<&str> = proxied.iter().map(|(h, _)| h.as_str()).collect();
    for wanted in ["/api/", "= /readyz", "= /healthz"] {
        assert!(headers.contains(&wanted), "nginx no longer proxies {wanted}: {headers:?}");
    }
    for (header, directives) in &proxied {
        let set: Vec<String> = directives
            .iter()
            .filter_map(|d| d.strip_prefix("proxy_set_header "))
            .map(|d| {
                let (name, value) = d.split_once(' ').unwrap_or((d, ""));
                format!("{} {value}", name.to_lowercase())
            })
            .collect();
        for wanted in [
            "x-forwarded-for $proxy_add_x_forwarded_for",
            "x-real-ip $remote_addr",
            "x-forwarded-proto $scheme",
            "x-request-id $request_id",
        ] {
            assert!(set.iter().any(|s| s == wanted), "location {header} does not set `{wanted}`: {set:?}");
        }
        assert!(!header.starts_with('~'), "location {header}: a regex location could proxy /metrics");
    }
    let metrics = locations
        .iter()
        .find(|(h, _)| h == "= /metrics")
        .unwrap_or_else(|| panic!("nginx needs `location = /metrics` refusing the API's metrics: {headers:?}"));
    assert!(
        !metrics.1.iter().any(|d| d.starts_with("proxy_pass"))
            && metrics.1.iter().any(|d| d == "deny all" || d == "return 404" || d == "return 403"),
        "location = /metrics must refuse, not proxy: {:?}",
        metrics.1
    );
}

#[test]
fn api_trusts_forwarded_for_only_from_the_web_proxy() {
    let compose = compose();
    let ipam = &compose["networks"]["default"]["ipam"]["config"][0];
    let subnet_text = ipam["subnet"].as_str().expect("the default network has a fixed subnet");
    let subnet: Network = subnet_text.parse().unwrap();
    let range: Network = ipam["ip_range"]
        .as_str()
        .expect("containers get addresses from an ip_range, so the web proxy's fixed one stays free")
        .parse()
        .unwrap();
    let web: IpAddr = compose["services"]["web"]["networks"]["default"]["ipv4_address"]
        .as_str()
        .expect("the web proxy has a fixed address")
        .parse()
        .unwrap();
    assert!(subnet.contains(web), "the web proxy's {web} is outside {subnet_text}");
    assert!(!range.contains(web), "the web proxy's {web} could be handed to another container");

    let trusted: TrustedProxies = environment(&compose["services"]["api"])
        .get("TRUSTED_PROXIES")
        .expect("the api sets TRUSTED_PROXIES")
        .parse()
        .expect("TRUSTED_PROXIES parses");
    assert!(trusted.contains(web), "the api must believe the web proxy's X-Forwarded-For ({web})");
    // The gateway is where Docker's port forwarding connects from, and the
    // range holds every other container: neither may name a client.
    let gateway: IpAddr = ipam["gateway"].as_str().expect("the network's gateway is fixed").parse().unwrap();
    assert!(subnet.contains(gateway) && gateway != web, "the gateway {gateway} is not the network's own");
    assert!(!trusted.contains(gateway), "TRUSTED_PROXIES must not cover the gateway {gateway}");
    let IpAddr::V4(first) = subnet_text.split('/').next().unwrap().parse::<IpAddr>().unwrap() else {
        panic!("an IPv4 subnet")
    };
    let first_host = IpAddr::V4(Ipv4Addr::from(u32::from(first) + 1));
    assert!(!trusted.contains(first_host), "TRUSTED_PROXIES must cover the web proxy, not the subnet");
    let range_first: IpAddr = ipam["ip_range"].as_str().unwrap().split('/').next().unwrap().parse().unwrap();
    assert!(!trusted.contains(range_first), "TRUSTED_PROXIES must not cover other containers ({range_first})");
}

#[test]
fn every_variable_the_compose_file_reads_from_env_is_documented_in_env_example() {
    let example = read(".env.example");
    let heading = "# Docker Compose (make up) only";
    let section = example
        .split_once(heading)
        .unwrap_or_else(|| panic!(".env.example needs a section starting with {heading:?}"))
        .1;
    let documented: BTreeSet<String> = section
        .lines()
        .map(|l| l.trim_start_matches("# "))
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.to_owned()))
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .collect();
    let used: BTreeSet<String> = interpolations(&compose_text()).into_iter().map(|i| i.name).collect();
    assert!(used.len() >= 5, "the compose file reads its credentials from .env: {used:?}");
    assert_eq!(used, documented, "the compose file's .env variables and .env.example's section differ");
    for name in &used {
        assert!(
            !ENV_VARS.iter().any(|v| v.name == *name),
            "{name} is an app variable: make dev would read the compose value from .env too"
        );
    }
}

use crate::{DomainError, error::on_unique_violation};
use chrono::Utc;
use entities::organizations;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

/// Creates an organisation with a slug derived from its name.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<organizations::Model, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(DomainError::invalid("name", "must be 1 to 120 characters"));
    }
    let id = Uuid::now_v7();
    let now = Utc::now().fixed_offset();
    let org = organizations::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        slug: Set(slug_for(name, id)),
        tier: Set("free".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    org.insert(db)
        .await
        .map_err(|e| on_unique_violation(e, || "organisation slug taken".into()))
}

pub async fn get(
    db: &impl ConnectionTrait,
    org_id: Uuid,
) -> Result<organizations::Model, DomainError> {
    organizations::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("organisation"))
}

/// A URL-safe slug: the name's ASCII letters and digits, with a suffix from
/// the id so two orgs may share a name.
fn slug_for(name: &str, id: Uuid) -> String {
    let mut base = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    let base: String = base.trim_end_matches('-').chars().take(40).collect();
    let suffix = &id.simple().to_string()[24..];
    if base.is_empty() {
        format!("org-{suffix}")
    } else {
        format!("{base}-{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe_and_never_empty() {
        let id = Uuid::from_u128(0xabcdef);
        assert_eq!(slug_for("Acme Studio!", id), "acme-studio-00abcdef");
        assert_eq!(slug_for("  ¡¡ ", id), "org-00abcdef");
        assert_eq!(slug_for("Café -- Crème", id), "caf-cr-me-00abcdef");
    }
}

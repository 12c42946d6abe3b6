//! The one guard every tenant-owned query goes through: an [`OrgScope`]
//! only hands out queries already filtered by its org.

use entities::{
    assets, audit_log, memberships, plans, projects, publications, slots, usage_ledger,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

/// An entity whose rows belong to one organisation.
pub trait TenantOwned: EntityTrait {
    fn org_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

macro_rules! tenant_owned {
    ($($module:ident),* $(,)?) => {$(
        impl TenantOwned for $module::Entity {
            fn org_column() -> Self::Column { $module::Column::OrgId }
            fn id_column() -> Self::Column { $module::Column::Id }
        }
    )*};
}
tenant_owned!(
    memberships,
    projects,
    plans,
    slots,
    assets,
    publications,
    usage_ledger,
    audit_log
);

/// The organisation a request or activity acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgScope {
    org_id: Uuid,
}

impl OrgScope {
    /// Only callers that have established the org (the API's tenant
    /// extractor, activities re-checking their input) construct scopes.
    pub fn new(org_id: Uuid) -> Self {
        OrgScope { org_id }
    }

    pub fn org_id(&self) -> Uuid {
        self.org_id
    }

    /// All rows of `E` in this org.
    pub fn find<E: TenantOwned>(&self) -> Select<E> {
        E::find().filter(E::org_column().eq(self.org_id))
    }

    /// One row of `E` by id, only if it is in this org.
    pub fn find_by_id<E: TenantOwned>(&self, id: Uuid) -> Select<E> {
        self.find::<E>().filter(E::id_column().eq(id))
    }
}

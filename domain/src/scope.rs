//! The one guard every tenant-owned query goes through. Two walls:
//!
//! 1. an [`OrgScope`] only hands out queries inside a [`TenantTxn`], whose
//!    `find`/`find_by_id` filter by the org;
//! 2. a `TenantTxn` runs as the `reelpilot_app` role with `app.org_id` set
//!    for the transaction, so PostgreSQL's row-level security hides (and
//!    refuses writes to) every other org's rows even if a query forgets
//!    the filter.

use entities::{
    assets, audit_log, budget_reservations, credentials, highlights, imports, invitations, knowledge_documents,
    llm_calls, memberships, plans, policy_rules, post_metrics, project_summaries, projects, prompt_proposals, prompts,
    publications, slots, tiktok_accounts, transcript_segments, transcripts, usage_ledger,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Select,
    Statement, TransactionTrait,
};
use std::ops::Deref;
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
    audit_log,
    invitations,
    prompts,
    llm_calls,
    credentials,
    tiktok_accounts,
    post_metrics,
    budget_reservations,
    imports,
    transcripts,
    transcript_segments,
    highlights,
    knowledge_documents,
    policy_rules,
    project_summaries,
    prompt_proposals
);

/// The organisation a request or activity acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgScope {
    org_id: Uuid,
}

impl OrgScope {
    /// Only callers that have established the org construct scopes: the
    /// API's membership extractor, and activities after checking their
    /// input against the workflow id they run under.
    pub fn new(org_id: Uuid) -> Self {
        OrgScope { org_id }
    }

    pub fn org_id(&self) -> Uuid {
        self.org_id
    }

    /// Opens a transaction confined to this org by row-level security.
    pub async fn begin(&self, db: &DatabaseConnection) -> Result<TenantTxn, DbErr> {
        let txn = db.begin().await?;
        txn.execute_unprepared("SET LOCAL ROLE reelpilot_app").await?;
        txn.execute(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT set_config('app.org_id', $1, true)",
            [self.org_id.to_string().into()],
        ))
        .await?;
        Ok(TenantTxn { txn, org_id: self.org_id })
    }
}

/// A transaction confined to one org (see the module docs).
pub struct TenantTxn {
    txn: DatabaseTransaction,
    org_id: Uuid,
}

impl TenantTxn {
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

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

impl Deref for TenantTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

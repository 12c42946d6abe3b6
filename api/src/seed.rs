//! `reelpilot-api seed`: a demo organisation with a project and a month
//! plan, so a new installation has something to look at. Idempotent.

use crate::AppState;
use anyhow::Context;
use chrono::{Days, Utc};
use domain::{OrgScope, projects::NewProject};
use entities::organizations;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub const DEMO_ORG: &str = "Demo Studio";
pub const DEMO_PROJECT: &str = "Daily cooking tips";

pub async fn run(state: AppState) -> anyhow::Result<()> {
    let org = match organizations::Entity::find()
        .filter(organizations::Column::Name.eq(DEMO_ORG))
        .one(&state.db)
        .await?
    {
        Some(org) => org,
        None => domain::orgs::create(&state.db, DEMO_ORG).await?,
    };
    let scope = OrgScope::new(org.id);
    let project = match domain::projects::list(&state.db, &scope)
        .await?
        .into_iter()
        .find(|p| p.name == DEMO_PROJECT)
    {
        Some(p) => p,
        None => {
            domain::projects::create(
                &state.db,
                &scope,
                NewProject {
                    name: DEMO_PROJECT.into(),
                    niche: "home cooking".into(),
                    audience: "busy professionals who cook at home".into(),
                    timezone: Some("Europe/Berlin".into()),
                    brand_voice: "warm, practical, a little playful".into(),
                    ..Default::default()
                },
            )
            .await?
        }
    };
    let start = Utc::now().date_naive() + Days::new(1);
    let (plan, _) = domain::plans::find_or_create(&state.db, &scope, project.id, start, |id| {
        temporal::ids::plan_workflow_id(org.id, id)
    })
    .await?;
    if plan.status != entities::plans::PlanStatus::Ready {
        crate::runs::start_month_plan(&state, &plan)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("starting the plan")?;
    }
    tracing::info!(org_id = %org.id, project_id = %project.id, plan_id = %plan.id, "demo data seeded");
    Ok(())
}

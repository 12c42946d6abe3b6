//! `reelpilot-api seed`: a demo account owning an organisation with a
//! project and a month plan, so a new installation has something to look
//! at. Idempotent.

use crate::AppState;
use anyhow::Context;
use chrono::{Days, Utc};
use domain::{identity::auth::Registration, planning::projects::NewProject};

pub const DEMO_EMAIL: &str = "demo@reelpilot.local";
pub const DEMO_PASSWORD: &str = "plum cinnamon harbour 2026";
pub const DEMO_ORG: &str = "Demo Studio";
pub const DEMO_PROJECT: &str = "Daily cooking tips";

pub async fn run(state: AppState) -> anyhow::Result<()> {
    let user = match domain::identity::auth::register(&state.db, DEMO_EMAIL, DEMO_PASSWORD, "Demo").await? {
        Registration::Created { user, verify_token } => {
            domain::identity::auth::verify_email(&state.db, &verify_token).await?;
            user
        }
        Registration::AlreadyRegistered { user } => user,
    };
    let existing =
        domain::identity::orgs::list_for_user(&state.db, user.id).await?.into_iter().find(|(o, _)| o.name == DEMO_ORG);
    let org = match existing {
        Some((org, _)) => org,
        None => domain::identity::orgs::create(&state.db, user.id, DEMO_ORG).await?,
    };
    let scope = domain::OrgScope::new(org.id);
    let project =
        match domain::planning::projects::list(&state.db, &scope).await?.into_iter().find(|p| p.name == DEMO_PROJECT) {
            Some(p) => p,
            None => {
                domain::planning::projects::create(
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
    let (plan, _) = domain::planning::plans::find_or_create(&state.db, &scope, project.id, start, |id| {
        temporal::ids::plan_workflow_id(org.id, id)
    })
    .await?;
    if plan.status != entities::plans::PlanStatus::Ready {
        crate::runs::start_month_plan(&state, &plan)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("starting the plan")?;
    }
    tracing::info!(email = DEMO_EMAIL, org_id = %org.id, project_id = %project.id, plan_id = %plan.id, "demo data seeded");
    Ok(())
}

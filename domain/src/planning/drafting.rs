//! Drafting slots with a model: the context a batch needs, the messages
//! sent, the review of the answer (schema, content policy, similarity) and
//! writing the drafts without touching locked or approved slots.

use crate::{
    DomainError, OrgScope, TenantTxn,
    insights::bandit::{FormatBandit, Suggestion},
    insights::performance::{self, Performance},
    knowledge::{self, KnownSlot, Source},
    planning::creative::Brief,
    planning::generation::{self, DraftSlot, ReviewNote, SIMILARITY_LIMIT},
    planning::projects,
    planning::prompts::{self, PromptSet},
    planning::qa,
    policy::{self, Finding, RuleSet, rules::rule_set_in},
};
use chrono::Utc;
use embed::Embedding;
use entities::{
    plans::{self, PlanStatus},
    slots::{self, SlotStatus},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Review notes by (day_index, slot_index).
pub type NotesBySlot = BTreeMap<(i32, i32), Vec<ReviewNote>>;

/// A slot the model is asked to fill.
#[derive(Debug, Clone)]
pub struct Target {
    pub slot_id: Uuid,
    pub day_index: i32,
    pub slot_index: i32,
    pub local_time: String,
    pub date: String,
    /// The learning scheduler's format for this slot, once posts are measured.
    pub suggestion: Option<Suggestion>,
}

/// Everything a drafting call needs, loaded once per batch.
#[derive(Debug, Clone)]
pub struct DraftContext {
    pub project: entities::projects::Model,
    pub prompts: PromptSet,
    pub plan_id: Uuid,
    pub targets: Vec<Target>,
    /// Shingles of content the drafts must not repeat: the plan's other
    /// slots and the project's earlier plans, keyed by where they are.
    pub known: Vec<(String, BTreeSet<String>)>,
    /// How the project's earlier posts did, for the model to learn from.
    pub what_worked: Option<Value>,
    /// What the org's knowledge brings (see [`DraftContext::with_knowledge`]).
    pub knowledge: Knowledge,
    /// The org's content policy, run on every draft.
    pub rules: RuleSet,
    /// The creative agent's series and the trends it saw, once written.
    pub brief: Option<Brief>,
}

/// What retrieval brings a drafting call: the meaning of the project's
/// description (for the off-topic check), the project's earlier slots with
/// theirs (for the similarity guard) and the research the model reads.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// The meaning of the project's description, when it has a niche.
    pub topic: Option<Embedding>,
    pub known: Vec<KnownSlot>,
    /// `{what_we_said_before, what_the_brand_says, what_was_said_in_imports}`.
    pub research: Option<Value>,
}

/// Above this cosine similarity of meaning, a draft repeats an earlier slot
/// (all-MiniLM-L6-v2 on hook and script: a light rewording scores about
/// 0.98, a free paraphrase 0.9; distinct ideas in one template of words, as
/// a small model writes them, up to 0.89; related texts 0.5 to 0.75).
pub const MEANING_LIMIT: f32 = 0.92;
/// Below this similarity to the project's description (name, niche and
/// audience; only with a niche), a draft is off-topic.
pub const TOPIC_FLOOR: f32 = 0.1;
/// Research items per kind of knowledge.
const RESEARCH_ITEMS: u64 = 4;

impl DraftContext {
    /// How long this project's scripts may be: as long as its videos.
    pub fn bounds(&self) -> generation::Bounds {
        generation::Bounds::for_video(f64::from(projects::Budgets::of(&self.project).max_video_seconds()))
    }

    /// What the project is about, as the text retrieval and the off-topic
    /// check compare with.
    pub fn topic_text(&self) -> String {
        [&self.project.name, &self.project.niche, &self.project.audience]
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim())
            .collect::<Vec<_>>()
            .join(". ")
    }

    /// The meaning-bearing text of a draft: its hook and script.
    pub fn draft_text(draft: &DraftSlot) -> String {
        format!("{}\n{}", draft.hook, draft.script)
    }

    /// Loads what the org's knowledge says about the project's topic (whose
    /// meaning is `topic`): the research the model reads and the earlier
    /// slots the similarity guard compares with.
    pub async fn with_knowledge(
        mut self,
        db: &DatabaseConnection,
        scope: &OrgScope,
        topic: Embedding,
    ) -> Result<DraftContext, DomainError> {
        let tx = scope.begin(db).await?;
        let mut research = serde_json::Map::new();
        for (source, key) in [
            (Source::Slot, "what_we_said_before"),
            (Source::Document, "what_the_brand_says"),
            (Source::Transcript, "what_was_said_in_imports"),
        ] {
            let query = knowledge::Query {
                text: self.topic_text(),
                embedding: topic.clone(),
                project_id: Some(self.project.id),
                sources: vec![source],
                limit: RESEARCH_ITEMS,
            };
            let items: Vec<Value> = knowledge::search(&tx, &query)
                .await?
                .into_iter()
                .map(|hit| match source {
                    Source::Slot => json!({"text": hit.text, "status": hit.meta["status"], "views": hit.meta["views"]}),
                    _ => json!(hit.text),
                })
                .collect();
            if !items.is_empty() {
                research.insert(key.into(), Value::Array(items));
            }
        }
        let redrafted: Vec<Uuid> = self.targets.iter().map(|t| t.slot_id).collect();
        self.knowledge = Knowledge {
            known: knowledge::known_slots(&tx, self.project.id, &redrafted).await?,
            research: (!research.is_empty()).then_some(Value::Object(research)),
            // A name alone is no description to be off-topic from.
            topic: (!self.project.niche.trim().is_empty()).then_some(topic),
        };
        Ok(self)
    }

    pub fn expected(&self) -> Vec<(i32, i32)> {
        self.targets.iter().map(|t| (t.day_index, t.slot_index)).collect()
    }

    /// The task, as JSON the model reads (and the simulator parses).
    pub fn task(&self, instruction: Option<&str>) -> String {
        let mut task = json!({
            "project": self.project.name,
            "niche": self.project.niche,
            "audience": self.project.audience,
            "language": self.project.language,
            "slots": self.targets.iter().map(|t| {
                let mut slot = json!({
                    "day_index": t.day_index, "slot_index": t.slot_index, "date": t.date, "local_time": t.local_time,
                });
                if let Some(s) = &t.suggestion {
                    slot["suggested_format"] = json!(s.format);
                    slot["why_this_format"] = json!(s.reason);
                }
                if let Some(series) = self.brief.as_ref().and_then(|b| b.series_of_day(t.day_index)) {
                    slot["series"] = json!({"name": series.name, "angle": series.angle});
                }
                slot
            }).collect::<Vec<_>>(),
            "answer_format": "JSON object {\"slots\": [...]} with one entry per requested slot, fields: day_index, \
                slot_index, hook, script, caption, hashtags (strings starting with #), format (one of the formats), \
                confidence (0 to 1), rationale, shots (the script cut into scenes of one or two sentences, in \
                order, each {text: its words of the script, visual: footage|still|gradient|text_card, search: up to \
                4 single words to find footage by})",
            "formats": generation::FORMATS,
        });
        if let Some(what_worked) = &self.what_worked {
            task["what_worked"] = what_worked.clone();
        }
        if let Some(research) = &self.knowledge.research {
            task["knowledge"] = research.clone();
        }
        if let Some(trends) = self.brief.as_ref().map(|b| &b.trends).filter(|t| !t.is_empty()) {
            task["what_rises"] = json!(trends);
        }
        if let Some(instruction) = instruction.filter(|i| !i.trim().is_empty()) {
            task["instruction"] = json!(instruction.trim());
        }
        task.to_string()
    }

    /// The chat messages for a first attempt.
    pub fn messages(&self, instruction: Option<&str>) -> Vec<Value> {
        let mut system = self.prompts.instructions.1.clone();
        if !self.prompts.brand_voice.1.is_empty() {
            system.push_str("\n\nBrand voice: ");
            system.push_str(&self.prompts.brand_voice.1);
        }
        vec![json!({"role": "system", "content": system}), json!({"role": "user", "content": self.task(instruction)})]
    }

    /// The follow-up messages of a repair attempt.
    pub fn repair(messages: &mut Vec<Value>, answer: &str, problems: &[String]) {
        messages.push(json!({"role": "assistant", "content": answer}));
        messages.push(json!({"role": "user", "content": format!(
            "Your answer has these problems:\n- {}\nAnswer again with the complete corrected JSON for every requested slot.",
            problems.join("\n- ")
        )}));
    }

    /// The classifier's call for the drafts (keyed `day:slot`), when the
    /// org has a rule only a model can judge.
    pub fn classifier_request(&self, drafts: &[DraftSlot]) -> Option<(Vec<Value>, Value)> {
        let items: Vec<(String, String)> =
            drafts.iter().map(|d| (format!("{}:{}", d.day_index, d.slot_index), Self::policy_text(d))).collect();
        policy::classifier_request(&self.rules, &items)
    }

    fn policy_text(d: &DraftSlot) -> String {
        policy::slot_text(&d.hook, &d.script, &d.caption, &d.hashtags)
    }

    /// Reviews valid drafts, whose meanings (one per draft, from
    /// [`DraftContext::draft_text`]) are `meanings` and whose classifier
    /// findings (keyed `day:slot`, see [`DraftContext::classifier_request`])
    /// are `classified`: problems worth a repair (the policy, the QA agent's
    /// findings, off-topic, near-duplicates by words or by meaning) and the
    /// notes to keep with each slot if they remain.
    pub fn review(
        &self,
        drafts: &[DraftSlot],
        meanings: &[Embedding],
        classified: &BTreeMap<String, Vec<Finding>>,
    ) -> (Vec<String>, NotesBySlot) {
        let mut problems = Vec::new();
        let mut notes = NotesBySlot::new();
        let mut seen: Vec<(String, BTreeSet<String>)> = self.known.clone();
        let expect = qa::Expectations {
            language: self.project.language.clone(),
            max_video_secs: f64::from(projects::Budgets::of(&self.project).max_video_seconds()),
        };
        for (i, d) in drafts.iter().enumerate() {
            let key = (d.day_index, d.slot_index);
            let here = format!("day {} slot {}", d.day_index + 1, d.slot_index + 1);
            let policy = self
                .rules
                .findings(&Self::policy_text(d))
                .into_iter()
                .chain(classified.get(&format!("{}:{}", d.day_index, d.slot_index)).into_iter().flatten().cloned());
            // A blocking rule or a QA finding is sent back; a warning is only a note.
            let findings =
                policy.map(|f| (f.blocks(), f.note())).chain(qa::findings(d, &expect).into_iter().map(|n| (true, n)));
            for (repair, note) in findings {
                if repair {
                    problems.push(format!("{here}: {}", note.reason));
                }
                notes.entry(key).or_default().push(note);
            }
            let mine = generation::shingles(&d.hook, &d.caption);
            let mut different = Vec::new();
            if let Some((other, _)) = seen.iter().find(|(_, s)| generation::similarity(&mine, s) > SIMILARITY_LIMIT) {
                different.push(ReviewNote { check: "similarity".into(), reason: format!("near-duplicate of {other}") });
            }
            seen.push((here.clone(), mine));
            let meaning = meanings.get(i);
            if let (Some(meaning), Some(topic)) = (meaning, &self.knowledge.topic)
                && meaning.cosine(topic) < TOPIC_FLOOR
            {
                different.push(ReviewNote {
                    check: "qa".into(),
                    reason: format!("off-topic: nothing in it is about {}", self.topic_text()),
                });
            }
            if let Some(reason) = meaning.and_then(|m| self.resembles(m, &drafts[..i], &meanings[..i])) {
                different.push(ReviewNote { check: "similarity".into(), reason });
            }
            for note in different {
                problems.push(format!("{here}: {}; write a different idea", note.reason));
                notes.entry(key).or_default().push(note);
            }
        }
        (problems, notes)
    }

    /// The earlier slot or earlier draft of this batch a draft means the
    /// same as, if any, said so a person can find it.
    fn resembles(&self, meaning: &Embedding, before: &[DraftSlot], their_meanings: &[Embedding]) -> Option<String> {
        let known = self
            .knowledge
            .known
            .iter()
            .map(|k| (k.meaning.cosine(meaning), k))
            .filter(|(similarity, _)| *similarity > MEANING_LIMIT)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((similarity, k)) = known {
            let what = if k.published { "the published post" } else { "the slot" };
            return Some(format!(
                "means the same as {what} of {} (\"{}\", similarity {similarity:.2})",
                k.scheduled_at, k.hook
            ));
        }
        before.iter().zip(their_meanings).find(|(_, m)| m.cosine(meaning) > MEANING_LIMIT).map(|(d, m)| {
            format!(
                "means the same as day {} slot {} of this plan (\"{}\", similarity {:.2})",
                d.day_index + 1,
                d.slot_index + 1,
                d.hook,
                m.cosine(meaning)
            )
        })
    }
}

fn draftable(s: &slots::Model) -> bool {
    !s.locked && matches!(s.status, SlotStatus::Empty | SlotStatus::Draft)
}

async fn known_content(
    tx: &TenantTxn,
    project_id: Uuid,
    except: &BTreeSet<Uuid>,
) -> Result<Vec<(String, BTreeSet<String>)>, DomainError> {
    let rows = tx
        .find::<slots::Entity>()
        .filter(slots::Column::ProjectId.eq(project_id))
        .filter(slots::Column::Status.ne(SlotStatus::Empty))
        .order_by_asc(slots::Column::ScheduledAt)
        .all(&**tx)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|s| !except.contains(&s.id) && !s.hook.is_empty())
        .map(|s| {
            let when = s.scheduled_at.format("%Y-%m-%d %H:%M UTC");
            (format!("the post of {when}"), generation::shingles(&s.hook, &s.caption))
        })
        .collect())
}

fn target(s: &slots::Model, tz: chrono_tz::Tz, suggestion: Option<Suggestion>) -> Target {
    let local = s.scheduled_at.with_timezone(&tz);
    Target {
        slot_id: s.id,
        day_index: s.day_index,
        slot_index: s.slot_index,
        local_time: local.format("%H:%M").to_string(),
        date: local.format("%Y-%m-%d").to_string(),
        suggestion,
    }
}

/// The bandit's format for every slot of the plan, by (day, slot), from the
/// whole grid in order so every batch of the plan gets the same answer.
/// Nothing before the project has measured posts.
async fn format_suggestions(
    tx: &TenantTxn,
    plan_id: Uuid,
    tz: chrono_tz::Tz,
    measured: &[performance::PostResult],
) -> Result<BTreeMap<(i32, i32), Suggestion>, DomainError> {
    if measured.is_empty() {
        return Ok(BTreeMap::new());
    }
    let grid = tx
        .find::<slots::Entity>()
        .filter(slots::Column::PlanId.eq(plan_id))
        .order_by_asc(slots::Column::DayIndex)
        .order_by_asc(slots::Column::SlotIndex)
        .all(&**tx)
        .await?;
    let times: Vec<String> =
        grid.iter().map(|s| s.scheduled_at.with_timezone(&tz).format("%H:%M").to_string()).collect();
    let suggestions = FormatBandit::from_results(measured).suggest(&times);
    Ok(grid.iter().map(|s| (s.day_index, s.slot_index)).zip(suggestions).collect())
}

/// The context to draft days `first_day .. first_day + days` of a plan;
/// locked and already approved slots are left out.
pub async fn batch_context(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    first_day: i32,
    days: i32,
) -> Result<DraftContext, DomainError> {
    let tx = scope.begin(db).await?;
    let plan = tx.find_by_id::<plans::Entity>(plan_id).one(&*tx).await?.ok_or(DomainError::NotFound("plan"))?;
    let project = projects::get_in(&tx, plan.project_id).await?;
    let tz: chrono_tz::Tz = project.timezone.parse().unwrap_or(chrono_tz::UTC);
    let batch: Vec<slots::Model> = tx
        .find::<slots::Entity>()
        .filter(slots::Column::PlanId.eq(plan_id))
        .filter(slots::Column::DayIndex.gte(first_day))
        .filter(slots::Column::DayIndex.lt(first_day + days))
        .order_by_asc(slots::Column::DayIndex)
        .order_by_asc(slots::Column::SlotIndex)
        .all(&*tx)
        .await?;
    let redrafted: BTreeSet<Uuid> = batch.iter().filter(|s| draftable(s)).map(|s| s.id).collect();
    let measured = performance::measured_posts_in(&tx, project.id, &project.timezone).await?;
    let mut suggestions = format_suggestions(&tx, plan_id, tz, &measured).await?;
    Ok(DraftContext {
        prompts: prompts::current_in(&tx, project.id).await?,
        known: known_content(&tx, project.id, &redrafted).await?,
        targets: batch
            .iter()
            .filter(|s| draftable(s))
            .map(|s| target(s, tz, suggestions.remove(&(s.day_index, s.slot_index))))
            .collect(),
        what_worked: Performance::from_results(measured).for_prompt(),
        knowledge: Knowledge::default(),
        rules: rule_set_in(&tx).await?,
        brief: Brief::of(&plan),
        plan_id,
        project,
    })
}

/// The context to redraft one slot ("AI improve"). A locked slot is refused.
pub async fn slot_context(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
) -> Result<DraftContext, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = tx.find_by_id::<slots::Entity>(slot_id).one(&*tx).await?.ok_or(DomainError::NotFound("slot"))?;
    if slot.locked {
        return Err(DomainError::Conflict("the slot is locked; unlock it to improve it".into()));
    }
    if !draftable(&slot) {
        return Err(DomainError::Conflict(format!("a {:?} slot cannot be redrafted; unapprove it first", slot.status)));
    }
    let project = projects::get_in(&tx, slot.project_id).await?;
    let tz: chrono_tz::Tz = project.timezone.parse().unwrap_or(chrono_tz::UTC);
    Ok(DraftContext {
        prompts: prompts::current_in(&tx, project.id).await?,
        known: known_content(&tx, project.id, &BTreeSet::from([slot.id])).await?,
        // The person's instruction leads an improvement, not the scheduler.
        targets: vec![target(&slot, tz, None)],
        what_worked: Performance::from_results(
            performance::measured_posts_in(&tx, project.id, &project.timezone).await?,
        )
        .for_prompt(),
        knowledge: Knowledge::default(),
        rules: rule_set_in(&tx).await?,
        brief: Brief::of(
            &tx.find_by_id::<plans::Entity>(slot.plan_id).one(&*tx).await?.ok_or(DomainError::NotFound("plan"))?,
        ),
        plan_id: slot.plan_id,
        project,
    })
}

/// Writes drafts into their slots, only where a slot is still draftable
/// (never locked or approved ones), and bumps each slot's version. Returns
/// how many slots were written.
pub async fn write_drafts(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    drafts: &[DraftSlot],
    notes: &NotesBySlot,
    prompt_versions: &Value,
) -> Result<u32, DomainError> {
    let tx = scope.begin(db).await?;
    let mut written = 0;
    for d in drafts {
        let slot_notes = notes.get(&(d.day_index, d.slot_index)).cloned().unwrap_or_default();
        let result = slots::Entity::update_many()
            .col_expr(slots::Column::Hook, Expr::value(d.hook.trim()))
            .col_expr(slots::Column::Script, Expr::value(d.script.trim()))
            .col_expr(slots::Column::Shots, Expr::value(json!(crate::media::shots::fit(d.script.trim(), &d.shots))))
            .col_expr(slots::Column::Caption, Expr::value(d.caption.trim()))
            .col_expr(slots::Column::Hashtags, Expr::value(json!(d.hashtags)))
            .col_expr(slots::Column::Format, Expr::value(d.format.as_str()))
            .col_expr(slots::Column::Confidence, Expr::value(d.confidence.clamp(0.0, 1.0)))
            .col_expr(slots::Column::Rationale, Expr::value(d.rationale.trim()))
            .col_expr(slots::Column::Status, Expr::value(SlotStatus::Draft))
            .col_expr(slots::Column::ReviewNotes, Expr::value(json!(slot_notes)))
            .col_expr(slots::Column::PromptVersions, Expr::value(prompt_versions.clone()))
            .col_expr(slots::Column::Version, Expr::col(slots::Column::Version).add(1))
            .filter(slots::Column::OrgId.eq(tx.org_id()))
            .filter(slots::Column::PlanId.eq(plan_id))
            .filter(slots::Column::DayIndex.eq(d.day_index))
            .filter(slots::Column::SlotIndex.eq(d.slot_index))
            .filter(slots::Column::Locked.eq(false))
            .filter(slots::Column::Status.is_in([SlotStatus::Empty, SlotStatus::Draft]))
            .exec(&*tx)
            .await?;
        written += result.rows_affected as u32;
    }
    tx.commit().await?;
    Ok(written)
}

/// Marks a plan as being drafted in `batches_total` batches.
pub async fn start(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    batches_total: i32,
    prompt_versions: &Value,
) -> Result<(), DomainError> {
    set_plan(db, scope, plan_id, |q| {
        q.col_expr(plans::Column::Status, Expr::value(PlanStatus::Drafting))
            .col_expr(plans::Column::BatchesTotal, Expr::value(batches_total))
            .col_expr(plans::Column::BatchesDone, Expr::value(0))
            .col_expr(plans::Column::PromptVersions, Expr::value(prompt_versions.clone()))
            .col_expr(plans::Column::Failure, Expr::value(Option::<String>::None))
    })
    .await
}

/// Records that `done` batches are drafted (monotonic, so a retried batch
/// never moves progress back).
pub async fn batch_done(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    done: i32,
) -> Result<(), DomainError> {
    set_plan(db, scope, plan_id, |q| {
        q.col_expr(plans::Column::BatchesDone, Expr::cust_with_values("greatest(batches_done, $1)", [done]))
    })
    .await
}

pub async fn finish(db: &DatabaseConnection, scope: &OrgScope, plan_id: Uuid) -> Result<(), DomainError> {
    set_plan(db, scope, plan_id, |q| {
        q.col_expr(plans::Column::Status, Expr::value(PlanStatus::Ready))
            .col_expr(plans::Column::BatchesDone, Expr::col(plans::Column::BatchesTotal).into())
    })
    .await
}

async fn set_plan(
    db: &DatabaseConnection,
    scope: &OrgScope,
    plan_id: Uuid,
    change: impl FnOnce(sea_orm::UpdateMany<plans::Entity>) -> sea_orm::UpdateMany<plans::Entity>,
) -> Result<(), DomainError> {
    let tx = scope.begin(db).await?;
    let update = plans::Entity::update_many()
        .col_expr(plans::Column::UpdatedAt, Expr::value(Utc::now().fixed_offset()))
        .filter(plans::Column::OrgId.eq(tx.org_id()))
        .filter(plans::Column::Id.eq(plan_id));
    let result = change(update).exec(&*tx).await?;
    if result.rows_affected == 0 {
        return Err(DomainError::NotFound("plan"));
    }
    tx.commit().await?;
    Ok(())
}

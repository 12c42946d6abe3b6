//! ImportVideo: fetch, transcribe, translate, find highlights, cut them
//! into clips (under autopilot, place them into slots), each a
//! heartbeating activity on the `asr` queue (the LLM's and the database's
//! steps on `main`). A step that refuses the
//! import (too long, a private address, a used-up budget ...) records why
//! and the run ends there; a step that fails for good, or a cancellation,
//! is recorded on the import by `import.finish`.

use crate::{
    options::{cleanup, heartbeating},
    plan::cause,
};
use std::time::Duration;
use temporal::{
    import::{
        FinishImportInput, ImportActivities, ImportEnding, ImportRef, ImportVideoInput, ImportVideoOutput, StepOutcome,
        TranslateInput,
    },
    queues::Workload,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_workflow::{
    ActivityExecutionError, ActivityOptions, RetryPolicy, WorkflowContext, WorkflowResult, WorkflowTermination,
};

/// A long step: heartbeats within 15 s, five attempts.
fn heavy_step(task_queue: String, start_to_close: Duration) -> temporalio_workflow::ActivityOptions {
    heartbeating(task_queue, start_to_close, Duration::from_secs(15), 5)
}

#[workflow]
#[derive(Default)]
pub struct ImportVideoWorkflow;

#[workflow_methods]
impl ImportVideoWorkflow {
    #[run(name = "ImportVideo")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: ImportVideoInput) -> WorkflowResult<ImportVideoOutput> {
        let import = ImportRef { org_id: input.org_id, import_id: input.import_id, meta: input.meta };
        let (ending, termination) = match steps(ctx, &import).await {
            Ok(ImportVideoOutput::Refused) => return Ok(ImportVideoOutput::Refused),
            Ok(ready) => (ImportEnding::Ready, Ok(ready)),
            Err(ActivityExecutionError::Cancelled(_)) => {
                (ImportEnding::Cancelled, Err(WorkflowTermination::cancelled()))
            }
            Err(err) => (ImportEnding::Failed { reason: cause(&err) }, Err(err.into())),
        };
        let finish = FinishImportInput { import, ending };
        ctx.execute_activity(ImportActivities::finish, finish, cleanup()).await?;
        termination
    }
}

async fn steps(
    ctx: &mut WorkflowContext<ImportVideoWorkflow>,
    import: &ImportRef,
) -> Result<ImportVideoOutput, ActivityExecutionError> {
    let asr = Workload::Asr.beside(ctx.task_queue());
    let main = Workload::Main.beside(ctx.task_queue());
    let fetch = heavy_step(asr.clone(), Duration::from_secs(3 * 3600));
    if let StepOutcome::Refused = ctx.execute_activity(ImportActivities::fetch, import.clone(), fetch).await? {
        return Ok(ImportVideoOutput::Refused);
    }
    let transcribe = heavy_step(asr.clone(), Duration::from_secs(6 * 3600));
    let transcribed = match ctx.execute_activity(ImportActivities::transcribe, import.clone(), transcribe).await? {
        StepOutcome::Done(transcribed) => transcribed,
        StepOutcome::Refused => return Ok(ImportVideoOutput::Refused),
    };
    let mut translations = Vec::new();
    for language in &transcribed.translate_to {
        // Whisper translates into English on the `asr` queue; the LLM does
        // every other language from the `main` queue.
        let queue = if language == "en" { asr.clone() } else { main.clone() };
        let input = TranslateInput { import: import.clone(), language: language.clone() };
        let options = heavy_step(queue, Duration::from_secs(3 * 3600));
        if let StepOutcome::Refused = ctx.execute_activity(ImportActivities::translate, input, options).await? {
            return Ok(ImportVideoOutput::Refused);
        }
        translations.push(language.clone());
    }
    let find = heavy_step(main, Duration::from_secs(30 * 60));
    // The transcript is the import's worth; highlights that cannot be found
    // (the model keeps answering badly, its budget is spent) leave none.
    let highlights = match ctx.execute_activity(ImportActivities::find_highlights, import.clone(), find).await {
        Ok(StepOutcome::Done(found)) => found,
        Ok(StepOutcome::Refused) => return Ok(ImportVideoOutput::Refused),
        Err(err @ ActivityExecutionError::Cancelled(_)) => return Err(err),
        Err(_) => 0,
    };
    let mut placed = 0;
    if highlights > 0 {
        let cut = heavy_step(asr, Duration::from_secs(2 * 3600));
        if let StepOutcome::Refused = ctx.execute_activity(ImportActivities::cut_clips, import.clone(), cut).await? {
            return Ok(ImportVideoOutput::Refused);
        }
        // Slots are a convenience on top: when autopilot cannot place the
        // clips, they wait on the import for a person.
        // On the workflow's own queue (`main`): a few database writes.
        let place = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(60))
            .retry_policy(RetryPolicy::builder().maximum_attempts(5).build())
            .build();
        placed = match ctx.execute_activity(ImportActivities::place_highlights, import.clone(), place).await {
            Ok(placed) => placed,
            Err(err @ ActivityExecutionError::Cancelled(_)) => return Err(err),
            Err(_) => 0,
        };
    }
    Ok(ImportVideoOutput::Ready {
        language: transcribed.language,
        segments: transcribed.segments,
        translations,
        highlights,
        placed,
    })
}

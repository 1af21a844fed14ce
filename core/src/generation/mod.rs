//! AI generation: an admin asks for a course (or a lesson video); a workflow writes it. The edge only starts
//! the job and follows it — the origin's workflow (Step Functions running `workflows/*.asl.json`) does the
//! work: outline, lessons, videos, the draft course in Aurora, the notification.
//!
//! - `POST /ai-generation/generate-course`, `POST /ai-generation/generate-video`: validate, record the job row
//!   (one statement, which also checks the category or lesson exists), start the execution; `202 {jobId}`.
//!   The execution name comes from the `Idempotency-Key` (or the body), so a retried POST is the same job.
//! - `GET /ai-generation/jobs/{id}`: the row (progress, results, the recorded failure) with the execution's
//!   status from the [`Workflows`](crate::ports::Workflows) port.

pub mod job;
pub mod request;
pub mod workflow;

use crate::app::{App, Ports};
use crate::auth::Principal;
use crate::envelope::{self, Caching};
use crate::error::ApiError;
use crate::ports::Workflows;
use http::{Request, Response, StatusCode};
use job::{Job, Started};
use request::{CourseRequest, GenerationRequest, VideoRequest};
use workflow::WorkflowError;

impl<P: Ports> App<P> {
    /// `POST /ai-generation/generate-course`.
    pub(crate) async fn generate_course(
        &self,
        request: &Request<Vec<u8>>,
        principal: &Principal,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        crate::query::Query::parse(request.uri().query(), &[])?;
        let key = idempotency_key(request)?;
        let body = GenerationRequest::Course(CourseRequest::parse(request.body())?);
        self.start_job(body, key.as_deref(), principal).await
    }

    /// `POST /ai-generation/generate-video`.
    pub(crate) async fn generate_video(
        &self,
        request: &Request<Vec<u8>>,
        principal: &Principal,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        crate::query::Query::parse(request.uri().query(), &[])?;
        let key = idempotency_key(request)?;
        let body = GenerationRequest::Video(VideoRequest::parse(request.body())?);
        self.start_job(body, key.as_deref(), principal).await
    }

    /// Records the job and starts its execution. A retried POST finds its row and starts again with the same
    /// name and input, which the workflow service answers with the one execution there is (the first POST may
    /// have failed before its start got through).
    async fn start_job(
        &self,
        body: GenerationRequest,
        key: Option<&str>,
        principal: &Principal,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let name = request::execution_name(&body, &principal.user_id, key);
        let job_id = request::job_id(&name);
        let statement = job::insert_statement(&job_id, &name, &principal.user_id, &body);
        // Twice at most: a concurrent POST of the same job commits its row while ours waits on the id; the second
        // run of the statement sees that row and compares the requests.
        for attempt in 1..=2 {
            let rows = self.query(&statement).await?;
            let row =
                rows.first().ok_or_else(|| ApiError::OriginError { internal: "job insert returned no row".into() })?;
            match job::recorded(row, &body)? {
                job::Recorded::Concurrent if attempt == 1 => continue,
                job::Recorded::Concurrent => {
                    return Err(ApiError::Internal { internal: "job row neither inserted nor found".into() })
                }
                job::Recorded::New | job::Recorded::Again => break,
            }
        }
        let input = request::execution_input(&job_id, &body);
        self.ports.workflows().start(body.workflow(), &name, &input).await?;
        Ok(envelope::success(StatusCode::ACCEPTED, &Started { job_id }, Caching::NoStore))
    }

    /// `GET /ai-generation/jobs/{id}`.
    pub(crate) async fn generation_job(&self, id: &str) -> Result<Response<Vec<u8>>, ApiError> {
        let (workflow, name) = request::parse_job_id(id).ok_or(ApiError::NotFound { resource: "job" })?;
        let rows = self.query(&job::get_statement(id)).await?;
        let row = rows.first().ok_or(ApiError::NotFound { resource: "job" })?;
        let execution = match self.ports.workflows().describe(workflow, name).await {
            Ok(execution) => Some(execution),
            // The row is written before the start: not started yet, or not visible yet.
            Err(WorkflowError::NotFound) => None,
            Err(err) => return Err(err.into()),
        };
        let job = Job::from_row(row, execution.as_ref(), workflow)?;
        Ok(envelope::success(StatusCode::OK, &job, Caching::NoStore))
    }
}

fn idempotency_key(request: &Request<Vec<u8>>) -> Result<Option<String>, ApiError> {
    let header = request.headers().get("idempotency-key").map(|value| value.as_bytes());
    Ok(request::idempotency_key(header)?.map(str::to_owned))
}

//! The write path: every route that changes data runs here, through an [`Exec`]. Without an `Idempotency-Key`
//! each handler's statement commits on its own (every handler is one statement, or a statement and a read-only
//! diagnosis). With one (POST only), the handler runs in a transaction with the key's claim and stored answer
//! (see [`crate::idempotency`]). Catalog writes move the catalog version only after their commit, so no reader
//! can cache the old data under the new version.

use crate::app::{App, Ports};
use crate::auth::{Principal, Role};
use crate::catalog::admin::{self, AdminCourse, CourseCreate, CourseUpdate, LessonWrite};
use crate::db::DbError;
use crate::envelope::{self, Caching};
use crate::error::ApiError;
use crate::exec::{db_timestamp, Exec};
use crate::idempotency;
use crate::learning::{enrollments, progress};
use crate::ports::Clock;
use crate::router::Route;
use crate::users::UserUpdate;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};

/// A handler's answer, and whether it changed the public catalog.
pub(crate) struct Written {
    response: Response<Vec<u8>>,
    catalog_changed: bool,
}

impl Written {
    fn private<T: serde::Serialize>(status: StatusCode, data: &T) -> Self {
        Written { response: envelope::success(status, data, Caching::NoStore), catalog_changed: false }
    }

    fn catalog<T: serde::Serialize>(status: StatusCode, data: &T) -> Self {
        Written { response: envelope::success(status, data, Caching::NoStore), catalog_changed: true }
    }
}

/// Whether `route` changes data (and so runs through [`App::write`]).
pub(crate) fn is_write(route: &Route) -> bool {
    matches!(
        route,
        Route::CreateCourse
            | Route::UpdateCourse(_)
            | Route::DeleteCourse(_)
            | Route::CreateLesson
            | Route::UpdateLesson(_)
            | Route::DeleteLesson(_)
            | Route::CreateEnrollment
            | Route::RecordProgress
            | Route::UpdateUser(_)
    )
}

impl<P: Ports> App<P> {
    /// The edge's clock as the Data API's timestamp text.
    pub(crate) fn now_text(&self) -> String {
        db_timestamp(self.ports.clock().now_millis())
    }

    /// Runs a write route (see the module documentation).
    pub(crate) async fn write(
        &self,
        request: &Request<Vec<u8>>,
        route: Route,
        principal: &Principal,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let key = if request.method() == Method::POST { idempotency::Key::of(request)? } else { None };
        let Some(key) = key else {
            let written = self.apply(&Exec::autocommit(&self.ports), request, route, principal).await?;
            if written.catalog_changed {
                self.bump_catalog_version().await;
            }
            return Ok(written.response);
        };
        let user = principal.user_id.as_str();
        let exec = Exec::begin(&self.ports).await?;
        let claimed = match exec.run(&key.claim(user, &self.now_text())).await {
            Ok(rows) => !rows.rows.is_empty(),
            Err(err) => {
                exec.rollback().await;
                return Err(err);
            }
        };
        if !claimed {
            // The key was used before (its first request has committed: the claim waited for it).
            exec.rollback().await;
            let rows = Exec::autocommit(&self.ports).run(&key.stored(user)).await?;
            let (status, body) = key.replay(&rows)?;
            return Ok(replayed(status, body));
        }
        let written = match self.apply(&exec, request, route, principal).await {
            Ok(written) => written,
            Err(err) => {
                exec.rollback().await;
                return Err(err);
            }
        };
        let save = key.save(user, written.response.status().as_u16(), written.response.body());
        if let Err(err) = exec.run(&save).await {
            exec.rollback().await;
            return Err(err);
        }
        exec.commit().await?;
        if written.catalog_changed {
            self.bump_catalog_version().await;
        }
        Ok(written.response)
    }

    async fn apply(
        &self,
        exec: &Exec<'_, P>,
        request: &Request<Vec<u8>>,
        route: Route,
        principal: &Principal,
    ) -> Result<Written, ApiError> {
        crate::app::no_query(request.uri().query())?;
        let body = request.body();
        let user = principal.user_id.as_str();
        match route {
            Route::CreateEnrollment => {
                let enroll = enrollments::Enroll::parse(body)?;
                let premium = matches!(principal.role, Role::Premium | Role::Admin);
                let statement = enroll.statement(user, premium, &self.now_text());
                // A concurrent first enrollment can hide from this statement's snapshot once; the retry sees it.
                for _ in 0..2 {
                    match enrollments::enrolled(&exec.run(&statement).await?, user)? {
                        enrollments::Enrolled::Created(e) => return Ok(Written::private(StatusCode::CREATED, &e)),
                        enrollments::Enrolled::Existing(e) => return Ok(Written::private(StatusCode::OK, &e)),
                        enrollments::Enrolled::Raced => continue,
                    }
                }
                Err(ApiError::Conflict { reason: "concurrent_enrollment" })
            }
            Route::RecordProgress => {
                let record = progress::Record::parse(body)?;
                let rows = exec.run(&record.statement(user, &self.now_text())).await?;
                Ok(Written::private(StatusCode::OK, &progress::recorded(&rows)?))
            }
            Route::UpdateUser(id) => {
                let update = UserUpdate::parse(&id, body)?;
                let rows = exec.run(&update.statement()).await?;
                let user = UserUpdate::read(&rows)?;
                // The JWT cache keeps no profile fields, so nothing else needs to forget the old profile.
                Ok(Written::private(StatusCode::OK, &user))
            }
            Route::CreateCourse => {
                let create = CourseCreate::parse(body)?;
                let rows = exec.run(&create.statement()).await?;
                let row = rows.first().ok_or_else(|| ApiError::validation("category", "no such category"))?;
                Ok(Written::catalog(StatusCode::CREATED, &AdminCourse::from_row(row)?))
            }
            Route::UpdateCourse(id) => {
                let update = CourseUpdate::parse(&id, body)?;
                let rows = exec.run(&update.statement()).await?;
                let Some(row) = rows.first() else {
                    let diagnosis = exec.run(&update.diagnosis()).await?;
                    let row = diagnosis.first().ok_or(ApiError::OriginError { internal: "no diagnosis row".into() })?;
                    return Err(update.refusal(row)?);
                };
                Ok(Written::catalog(StatusCode::OK, &AdminCourse::from_row(row)?))
            }
            Route::DeleteCourse(id) => {
                let statement = admin::delete_course_statement(&id).ok_or(ApiError::NotFound { resource: "course" })?;
                let rows = exec.run_raw(&statement).await.map_err(|err| match err {
                    // A learner enrolled between the check and the delete: try again (it will archive).
                    DbError::ForeignKeyViolation { .. } => ApiError::Conflict { reason: "course_in_use" },
                    other => other.into(),
                })?;
                Ok(Written::catalog(StatusCode::OK, &admin::course_removed(&id, &rows)?))
            }
            Route::CreateLesson => {
                let write = LessonWrite::create(body)?;
                let rows = exec.run_raw(&write.insert_statement()).await.map_err(lesson_conflict)?;
                Ok(Written::catalog(StatusCode::CREATED, &write.read(&rows)?))
            }
            Route::UpdateLesson(id) => {
                if !crate::query::is_uuid(&id) {
                    return Err(ApiError::NotFound { resource: "lesson" });
                }
                let write = LessonWrite::update(body)?;
                let rows = exec.run_raw(&write.update_statement(&id)).await.map_err(lesson_conflict)?;
                Ok(Written::catalog(StatusCode::OK, &write.read(&rows)?))
            }
            Route::DeleteLesson(id) => {
                let statement = admin::delete_lesson_statement(&id).ok_or(ApiError::NotFound { resource: "lesson" })?;
                let rows = exec.run_raw(&statement).await.map_err(|err| match err {
                    DbError::ForeignKeyViolation { .. } => ApiError::Conflict { reason: "lesson_has_progress" },
                    other => other.into(),
                })?;
                Ok(Written::catalog(StatusCode::OK, &admin::lesson_removed(&id, &rows)?))
            }
            other => Err(ApiError::Internal { internal: format!("{other:?} is not a write") }),
        }
    }
}

fn lesson_conflict(err: DbError) -> ApiError {
    match err {
        DbError::UniqueViolation { .. } => ApiError::Conflict { reason: "day_taken" },
        DbError::ForeignKeyViolation { .. } => ApiError::NotFound { resource: "course" },
        other => other.into(),
    }
}

/// The first answer to a key, sent again.
fn replayed(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(envelope::JSON));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

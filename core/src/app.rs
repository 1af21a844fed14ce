//! The one entry: [`App::handle`] turns a request into a response. It parses (route, query), executes
//! (one statement through the [`Database`] port), and renders the envelope. It never panics and never returns
//! an error: every failure is an envelope with its status.

use crate::catalog::{categories, courses, lessons};
use crate::db::Statement;
use crate::envelope::{self, Caching};
use crate::error::ApiError;
use crate::ports::Database;
use crate::router::{self, Route};
use http::header::{HeaderValue, LINK};
use http::{Method, Request, Response, StatusCode};

/// Deployment settings the core needs (the shells read them from their runtime's variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `max-age` of public catalog answers, in seconds.
    pub catalog_max_age: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { catalog_max_age: 60 }
    }
}

/// The internal cause of a failed request, attached to the response's extensions for the shell to log.
/// It is never serialised into a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure(pub ApiError);

/// The edge API, over its ports.
#[derive(Debug)]
pub struct App<D> {
    config: Config,
    db: D,
}

impl<D: Database> App<D> {
    /// An app over the `db` port.
    pub fn new(config: Config, db: D) -> Self {
        App { config, db }
    }

    /// Answers one request. A failed request carries its [`Failure`] in the response's extensions.
    pub async fn handle(&self, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
        let mut response = match self.dispatch(&request).await {
            Ok(response) => response,
            Err(err) => {
                let mut response = envelope::error(&err);
                response.extensions_mut().insert(Failure(err));
                response
            }
        };
        if request.method() == Method::HEAD {
            response.body_mut().clear();
        }
        response
    }

    async fn dispatch(&self, request: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, ApiError> {
        let route = router::route(request.method(), request.uri().path())?;
        let query = request.uri().query();
        let public = Caching::Public { max_age: self.config.catalog_max_age };
        match route {
            Route::Health => {
                if query.is_some_and(|q| !q.is_empty()) {
                    return Err(ApiError::validation("query", "this route takes no parameters"));
                }
                Ok(envelope::success(StatusCode::OK, &serde_json::json!({"status": "ok"}), Caching::NoStore))
            }
            Route::ListCourses => {
                let list = courses::ListCourses::parse(query)?;
                let rows = self.query(&list.statement()).await?;
                let page = courses::page(&list, &rows)?;
                let mut response = envelope::success(StatusCode::OK, &page, public);
                if let Some(cursor) = &page.next_cursor {
                    let link = format!("<{}?{}>; rel=\"next\"", request.uri().path(), list.next_query(cursor));
                    if let Ok(value) = HeaderValue::from_str(&link) {
                        response.headers_mut().insert(LINK, value);
                    }
                }
                Ok(response)
            }
            Route::GetCourse(id) => {
                no_query(query)?;
                let statement = courses::get_statement(&id).ok_or(ApiError::NotFound { resource: "course" })?;
                let rows = self.query(&statement).await?;
                let row = rows.first().ok_or(ApiError::NotFound { resource: "course" })?;
                Ok(envelope::success(StatusCode::OK, &courses::CourseDetail::from_row(row)?, public))
            }
            Route::ListLessons => {
                let rows = self.query(&lessons::list_statement(query)?).await?;
                let list = lessons::list(&rows)?.ok_or(ApiError::NotFound { resource: "course" })?;
                Ok(envelope::success(StatusCode::OK, &list, public))
            }
            Route::GetLesson(id) => {
                no_query(query)?;
                let statement = lessons::get_statement(&id).ok_or(ApiError::NotFound { resource: "lesson" })?;
                let rows = self.query(&statement).await?;
                let row = rows.first().ok_or(ApiError::NotFound { resource: "lesson" })?;
                Ok(envelope::success(StatusCode::OK, &lessons::LessonDetail::from_row(row)?, public))
            }
            Route::ListCategories => {
                no_query(query)?;
                let rows = self.query(&categories::list_statement()).await?;
                Ok(envelope::success(StatusCode::OK, &categories::list(&rows)?, public))
            }
        }
    }

    async fn query(&self, statement: &Statement) -> Result<crate::db::ResultSet, ApiError> {
        self.db.execute(statement).await.map_err(ApiError::from)
    }
}

fn no_query(query: Option<&str>) -> Result<(), ApiError> {
    crate::query::Query::parse(query, &[]).map(|_| ())
}

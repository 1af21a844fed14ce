//! The one entry: [`App::handle`] turns a request into a response. It checks the API key and its plan, finds
//! the route, applies the route's access rule (verifying the bearer token when the rule needs one), runs the
//! handler through the ports, and renders the envelope. It never panics and never returns an error: every
//! failure is an envelope with its status.
//!
//! An `App` is built once per isolate and reused: it owns the per-isolate state (JWKS, verified tokens,
//! rate counters).

use crate::auth::api_keys::{ApiKeys, RateStatus};
use crate::auth::jwt::CognitoConfig;
use crate::auth::policy::{self, Access};
use crate::auth::{self, AuthState, Principal, Role};
use crate::cache::{CachePolicies, Local, Verdict};
use crate::catalog::{categories, courses, lessons};
use crate::db::Statement;
use crate::envelope::{self, Caching};
use crate::error::ApiError;
use crate::learning::{enrollments, lesson_access, progress, stats};
use crate::ports::{
    Clock, Database, EdgeCache, HttpClient, MediaSigner, RsaVerifier, Timer, UploadPresigner, VersionStore, Workflows,
};
use crate::router::{self, Route};
use crate::users;
use http::header::{HeaderValue, AUTHORIZATION, LINK};
use http::{Method, Request, Response, StatusCode};

/// The ports an `App` runs on. A shell implements this once, naming its runtime's implementations.
pub trait Ports {
    /// The origin database.
    type Db: Database;
    /// Outbound HTTP (JWKS).
    type Http: HttpClient;
    /// Wall-clock time.
    type Clock: Clock;
    /// RS256 signature checks.
    type Rsa: RsaVerifier;
    /// The shared cache of catalog answers.
    type Cache: EdgeCache;
    /// Where the catalog version lives.
    type Versions: VersionStore;
    /// Sleeping (followers of a single flight wait with it).
    type Timer: Timer;
    /// Workflows (AI generation jobs).
    type Workflows: Workflows;
    /// The database port.
    fn db(&self) -> &Self::Db;
    /// The outbound HTTP port.
    fn http(&self) -> &Self::Http;
    /// The clock port.
    fn clock(&self) -> &Self::Clock;
    /// The RSA port.
    fn rsa(&self) -> &Self::Rsa;
    /// The cache port.
    fn cache(&self) -> &Self::Cache;
    /// The version-store port.
    fn versions(&self) -> &Self::Versions;
    /// The timer port.
    fn timer(&self) -> &Self::Timer;
    /// The workflows port.
    fn workflows(&self) -> &Self::Workflows;
    /// CloudFront-format signatures (media playback and the media gate).
    type Media: MediaSigner;
    /// Presigned S3 uploads.
    type Uploads: UploadPresigner;
    /// The media-signature port.
    fn media(&self) -> &Self::Media;
    /// The upload-presigning port.
    fn uploads(&self) -> &Self::Uploads;
}

/// Deployment settings (the shells read them from their runtime's variables with [`Config::from_vars`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `max-age` of public catalog answers, in seconds.
    pub catalog_max_age: u32,
    /// The Cognito user pool whose access tokens are accepted.
    pub cognito: CognitoConfig,
    /// API keys and usage plans.
    pub api_keys: ApiKeys,
    /// Size of the verified-token cache (0 turns it off).
    pub token_cache_size: usize,
    /// Freshness windows of the cacheable catalog routes.
    pub cache: CachePolicies,
    /// Part of every cache key: changing it retires every cached answer at once.
    pub cache_version: String,
    /// Entries of the in-isolate cache layer (0 turns it off).
    pub local_cache_size: usize,
    /// How long an isolate trusts the catalog version it read, in ms (the purge bound beyond the store's own).
    pub catalog_version_ttl_ms: u64,
    /// Premium video (signing, the gate, uploads); `None` when not configured (the media routes answer 501).
    pub media: Option<crate::media::MediaConfig>,
}

impl Config {
    /// Reads the settings from variables, by name:
    /// `COGNITO_REGION`, `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_IDS` (comma-separated), `API_KEYS`,
    /// `USAGE_PLANS` (required); `COGNITO_JWKS_URL`, `JWT_LEEWAY_SECONDS` (60), `TOKEN_CACHE_SIZE` (1024),
    /// `CATALOG_MAX_AGE` (60: the default fresh TTL), `CACHE_POLICY` (JSON, see `cache::policy`), `CACHE_VERSION`
    /// ("1"), `LOCAL_CACHE_SIZE` (512), `CATALOG_VERSION_TTL` (5 s) (optional); the media settings (optional, see
    /// [`crate::media::MediaConfig::from_vars`]). The error names the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let required = |name: &str| {
            var(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("variable {name} is not set"))
        };
        let number = |name: &str, default: u64| -> Result<u64, String> {
            match var(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(raw) => raw.trim().parse().map_err(|_| format!("variable {name} is not a number: {raw}")),
            }
        };
        let client_ids: Vec<String> =
            required("COGNITO_CLIENT_IDS")?.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if client_ids.is_empty() {
            return Err("variable COGNITO_CLIENT_IDS names no client".into());
        }
        let mut cognito =
            CognitoConfig::new(&required("COGNITO_REGION")?, &required("COGNITO_USER_POOL_ID")?, client_ids);
        if let Some(url) = var("COGNITO_JWKS_URL").filter(|v| !v.trim().is_empty()) {
            cognito.jwks_url = url;
        }
        cognito.leeway_secs = u32::try_from(number("JWT_LEEWAY_SECONDS", 60)?)
            .map_err(|_| "JWT_LEEWAY_SECONDS is too large".to_owned())?;
        let catalog_max_age =
            u32::try_from(number("CATALOG_MAX_AGE", 60)?).map_err(|_| "CATALOG_MAX_AGE is too large".to_owned())?;
        let cache_policy = var("CACHE_POLICY").filter(|v| !v.trim().is_empty());
        let media = crate::media::MediaConfig::from_vars(&var)?;
        Ok(Config {
            media,
            catalog_max_age,
            cache: CachePolicies::from_json(cache_policy.as_deref(), catalog_max_age)?,
            cache_version: var("CACHE_VERSION").filter(|v| !v.trim().is_empty()).unwrap_or_else(|| "1".into()),
            local_cache_size: usize::try_from(number("LOCAL_CACHE_SIZE", 512)?).unwrap_or(usize::MAX),
            catalog_version_ttl_ms: number("CATALOG_VERSION_TTL", 5)?.saturating_mul(1000),
            cognito,
            api_keys: ApiKeys::from_json(&required("API_KEYS")?, &required("USAGE_PLANS")?)?,
            token_cache_size: usize::try_from(number("TOKEN_CACHE_SIZE", 1024)?).unwrap_or(usize::MAX),
        })
    }
}

/// The internal cause of a failed request, attached to the response's extensions for the shell to log.
/// It is never serialised into a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure(pub ApiError);

/// A catalog read to repeat in the background (stale-while-revalidate): the shell runs
/// [`App::refresh`] with it after answering, with its runtime's wait-until.
#[derive(Debug, Clone)]
pub struct Refresh(pub Request<Vec<u8>>);

/// The edge API, over its ports.
#[derive(Debug)]
pub struct App<P> {
    pub(crate) config: Config,
    pub(crate) ports: P,
    auth: AuthState,
    pub(crate) local: std::cell::RefCell<Local>,
    pub(crate) flights: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<crate::auth::flight::Flight>>>,
    /// The catalog version last read, and when (epoch ms).
    pub(crate) version: std::cell::RefCell<Option<(String, u64)>>,
}

impl<P: Ports> App<P> {
    /// An app over `ports`.
    pub fn new(config: Config, ports: P) -> Self {
        let auth = AuthState::new(config.token_cache_size);
        let local = std::cell::RefCell::new(Local::new(config.local_cache_size));
        App { config, ports, auth, local, flights: Default::default(), version: Default::default() }
    }

    /// Per-isolate identity state (for diagnostics and tests).
    pub fn auth_state(&self) -> &AuthState {
        &self.auth
    }

    /// Answers one request. A failed request carries its [`Failure`] in the response's extensions.
    pub async fn handle(&self, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
        let mut rate = None;
        let result = self.authorize_and_dispatch(&request, &mut rate).await;
        let mut response = match result {
            Ok(response) => response,
            Err(err) => {
                let mut response = envelope::error(&err);
                response.extensions_mut().insert(Failure(err));
                response
            }
        };
        if let Some(status) = rate {
            rate_headers(&mut response, status);
        }
        if !response.headers().contains_key("x-cache") {
            response.headers_mut().insert("x-cache", HeaderValue::from_static(Verdict::Bypass.as_str()));
        }
        if request.method() == Method::HEAD {
            response.body_mut().clear();
        }
        response
    }

    async fn authorize_and_dispatch(
        &self,
        request: &Request<Vec<u8>>,
        rate: &mut Option<RateStatus>,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let path = request.uri().path();
        // The media gate's credential is its signature: players fetching segments send no API key.
        let gate = matches!(router::route(request.method(), path), Ok(Route::MediaObject(_)));
        if path != "/health" && !gate {
            match self.check_api_key(request) {
                Ok(status) => *rate = Some(status),
                Err((err, status)) => {
                    *rate = status;
                    return Err(err);
                }
            }
        }
        let route = router::route(request.method(), path)?;
        if request.body().len() > crate::catalog::admin::MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        let access = policy::access(&route);
        let principal = match access {
            Access::Open | Access::Public => None,
            Access::OptionalUser if !request.headers().contains_key(AUTHORIZATION) => None,
            Access::OptionalUser | Access::SignedIn | Access::SelfOrAdmin | Access::Admin => {
                Some(self.authenticate(request).await?)
            }
        };
        if let Some(principal) = &principal {
            match access {
                Access::Admin if principal.role != Role::Admin => {
                    return Err(ApiError::Forbidden { reason: "admin_required" })
                }
                Access::SelfOrAdmin if principal.role != Role::Admin => {
                    let subject = policy::subject(&route).unwrap_or_default();
                    if !subject.eq_ignore_ascii_case(&principal.user_id) {
                        return Err(ApiError::Forbidden { reason: "not_your_resource" });
                    }
                }
                _ => {}
            }
        }
        self.dispatch(request, route, principal.as_ref()).await
    }

    /// Checks `x-api-key` and counts the request against its plan; the counters come back either way, for the
    /// `RateLimit-*` headers.
    fn check_api_key(&self, request: &Request<Vec<u8>>) -> Result<RateStatus, (ApiError, Option<RateStatus>)> {
        let invalid = || (ApiError::ApiKeyInvalid, None);
        // HTTP strips whitespace around field values (RFC 9110 §5.5); some servers do it before us, so do it here too.
        let presented =
            request.headers().get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).ok_or_else(invalid)?;
        let (key, plan) = self.config.api_keys.find(presented).ok_or_else(invalid)?;
        let now = self.ports.clock().now_millis();
        let checked = self.auth.limiter.borrow_mut().check(key, plan, now);
        checked.map_err(|limited| {
            (
                ApiError::RateLimited { retry_after: limited.retry_after_secs, quota: limited.quota },
                Some(limited.status),
            )
        })
    }

    async fn authenticate(&self, request: &Request<Vec<u8>>) -> Result<Principal, ApiError> {
        let header = request
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().map_err(|_| ApiError::TokenInvalid { reason: "not a bearer token" }));
        let token = auth::bearer(header.transpose()?)?;
        let ports = &self.ports;
        let identity = auth::verify(
            &self.auth,
            &self.config.cognito,
            ports.http(),
            ports.clock(),
            ports.rsa(),
            ports.timer(),
            token,
        )
        .await?;
        auth::principal(&self.auth, ports.db(), ports.timer(), identity).await
    }

    async fn dispatch(
        &self,
        request: &Request<Vec<u8>>,
        route: Route,
        principal: Option<&Principal>,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        match route {
            Route::ListCourses | Route::GetCourse(_) | Route::ListLessons | Route::ListCategories => {
                self.cached(request, &route).await
            }
            // A signed-in reader's lesson may show more than the public one: never from or into a shared cache.
            Route::GetLesson(_) if principal.is_none() => self.cached(request, &route).await,
            route => self.render(request, route, principal).await,
        }
    }

    /// Answers `route` from the origin (no cache involved).
    pub(crate) async fn render(
        &self,
        request: &Request<Vec<u8>>,
        route: Route,
        principal: Option<&Principal>,
    ) -> Result<Response<Vec<u8>>, ApiError> {
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
                let Some(principal) = principal else {
                    let statement = lessons::get_statement(&id).ok_or(ApiError::NotFound { resource: "lesson" })?;
                    let rows = self.query(&statement).await?;
                    let row = rows.first().ok_or(ApiError::NotFound { resource: "lesson" })?;
                    let lesson = lesson_access::anonymous(lessons::LessonDetail::from_row(row)?)?;
                    return Ok(envelope::success(StatusCode::OK, &lesson, public));
                };
                // What a signed-in caller sees depends on who they are: never shared-cacheable.
                let statement = lesson_access::statement(&id, &principal.user_id, &self.now_text())
                    .ok_or(ApiError::NotFound { resource: "lesson" })?;
                let rows = self.query(&statement).await?;
                let lesson = lesson_access::decide(&rows, principal.role == Role::Admin)?;
                Ok(envelope::success(StatusCode::OK, &lesson, Caching::NoStore))
            }
            Route::ListCategories => {
                no_query(query)?;
                let rows = self.query(&categories::list_statement()).await?;
                Ok(envelope::success(StatusCode::OK, &categories::list(&rows)?, public))
            }
            Route::Me => {
                no_query(query)?;
                let principal = principal.ok_or(ApiError::Unauthorized)?;
                Ok(envelope::success(StatusCode::OK, principal, Caching::NoStore))
            }
            Route::GetUser(id) => {
                no_query(query)?;
                let statement = users::get_statement(&id).ok_or(ApiError::NotFound { resource: "user" })?;
                let rows = self.query(&statement).await?;
                let row = rows.first().ok_or(ApiError::NotFound { resource: "user" })?;
                Ok(envelope::success(StatusCode::OK, &users::User::from_row(row)?, Caching::NoStore))
            }
            Route::ListEnrollments => {
                no_query(query)?;
                let principal = principal.ok_or(ApiError::Unauthorized)?;
                let rows = self.query(&enrollments::list_statement(&principal.user_id, &self.now_text())).await?;
                let items = enrollments::list(&rows)?;
                Ok(envelope::success(StatusCode::OK, &serde_json::json!({ "items": items }), Caching::NoStore))
            }
            Route::GetProgress(id) => {
                no_query(query)?;
                let id =
                    crate::query::uuid("userId", Some(&id)).map_err(|_| ApiError::NotFound { resource: "user" })?;
                let rows = self.query(&progress::summary_statement(&id)).await?;
                Ok(envelope::success(StatusCode::OK, &progress::summary(&id, &rows)?, Caching::NoStore))
            }
            Route::GetUserStats(id) => {
                no_query(query)?;
                let id =
                    crate::query::uuid("userId", Some(&id)).map_err(|_| ApiError::NotFound { resource: "user" })?;
                let rows = self.query(&stats::statement(&id, &self.now_text())).await?;
                Ok(envelope::success(StatusCode::OK, &stats::read(&rows)?, Caching::NoStore))
            }
            route if crate::writes::is_write(&route) => {
                let principal = principal.ok_or(ApiError::Unauthorized)?;
                self.write(request, route, principal).await
            }
            Route::GenerateCourse => self.generate_course(request, principal.ok_or(ApiError::Unauthorized)?).await,
            Route::GenerateVideo => self.generate_video(request, principal.ok_or(ApiError::Unauthorized)?).await,
            Route::GenerationJob(id) => {
                no_query(query)?;
                self.generation_job(&id).await
            }
            Route::CreateCourse
            | Route::DeleteCourse(_)
            | Route::CreateLesson
            | Route::UpdateLesson(_)
            | Route::DeleteLesson(_)
            | Route::UpdateCourse(_)
            | Route::CreateEnrollment
            | Route::RecordProgress
            | Route::UpdateUser(_)
            | Route::Analytics(_)
            | Route::ListBadges
            | Route::Recommendations => Err(ApiError::NotImplemented),
            Route::MediaPlayback(id) => {
                no_query(query)?;
                self.media_playback(&id, principal.ok_or(ApiError::Unauthorized)?).await
            }
            Route::MediaObject(_) => self.media_object(request).await,
            Route::CreateUpload => {
                no_query(query)?;
                self.create_upload(request.body()).await
            }
        }
    }

    /// Runs one statement on its own (retried while the origin refuses it unrun: see [`crate::exec`]).
    pub(crate) async fn query(&self, statement: &Statement) -> Result<crate::db::ResultSet, ApiError> {
        crate::exec::Exec::autocommit(&self.ports).run(statement).await
    }
}

pub(crate) fn no_query(query: Option<&str>) -> Result<(), ApiError> {
    crate::query::Query::parse(query, &[]).map(|_| ())
}

fn rate_headers(response: &mut Response<Vec<u8>>, status: RateStatus) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(status.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(status.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(status.reset_secs));
}

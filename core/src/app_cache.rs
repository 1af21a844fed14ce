//! The catalog's read path through the cache (see [`crate::cache`]): key, layers, windows, coalescing,
//! conditional requests, and the background refresh the shell runs after answering.

use crate::app::{App, Ports, Refresh};
use crate::auth::flight::{Flight, Turn};
use crate::cache::{age, none_match, Age, Policy, Stored, Verdict};
use crate::catalog::courses::ListCourses;
use crate::error::ApiError;
use crate::ports::{Clock, EdgeCache, VersionStore};
use crate::query::{self, is_uuid, Query};
use crate::router::{self, Route};
use http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LINK};
use http::{Request, Response, StatusCode};
use std::rc::Rc;

impl<P: Ports> App<P> {
    /// Answers a cacheable catalog read.
    pub(crate) async fn cached(
        &self,
        request: &Request<Vec<u8>>,
        route: &Route,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let (key, policy) = self.cache_key(route, request.uri().query())?;
        let key = format!("{}/{key}", self.catalog_version().await);
        let now = self.ports.clock().now_millis();
        let entry = self.lookup(&key).await;
        let stale = match entry.map(|entry| (age(&entry, &policy, now), entry)) {
            Some((Age::Fresh, entry)) => return Ok(self.answer_from(request, &entry, &policy, Verdict::Hit, now)),
            Some((Age::Revalidate, entry)) => {
                let mut response = self.answer_from(request, &entry, &policy, Verdict::Stale, now);
                response.extensions_mut().insert(Refresh(background_copy(request)));
                return Ok(response);
            }
            Some((Age::IfError, entry)) => Some(entry),
            Some((Age::Expired, _)) | None => None,
        };
        self.fetch(request, route, &key, &policy, stale).await
    }

    /// Refetches a catalog read in the background (stale-while-revalidate) and stores the fresh answer.
    /// Called by the shell with the [`Refresh`] of an earlier response; it never fails loudly: a failed refresh
    /// leaves the stale entry in place for the next request to try again.
    pub async fn refresh(&self, refresh: Refresh) {
        let request = refresh.0;
        let Ok(route) = router::route(request.method(), request.uri().path()) else { return };
        let Ok((key, policy)) = self.cache_key(&route, request.uri().query()) else { return };
        let key = format!("{}/{key}", self.catalog_version().await);
        let now = self.ports.clock().now_millis();
        if self.lookup(&key).await.is_some_and(|entry| age(&entry, &policy, now) == Age::Fresh) {
            return;
        }
        let _ = self.fetch(&request, &route, &key, &policy, None).await;
    }

    /// Fetches from the origin, one request per key and isolate at a time (the others wait for its answer).
    async fn fetch(
        &self,
        request: &Request<Vec<u8>>,
        route: &Route,
        key: &str,
        policy: &Policy,
        stale: Option<Stored>,
    ) -> Result<Response<Vec<u8>>, ApiError> {
        let flight: Rc<Flight> = self.flights.borrow_mut().entry(key.to_owned()).or_default().clone();
        let turn = flight.join();
        let _guard = match turn {
            Turn::Follower(generation) => {
                flight.wait(generation, self.ports.timer()).await;
                let now = self.ports.clock().now_millis();
                let fresh = self.local.borrow().get(key).filter(|entry| age(entry, policy, now) == Age::Fresh).cloned();
                if let Some(entry) = fresh {
                    return Ok(self.answer_from(request, &entry, policy, Verdict::Hit, now));
                }
                // The leader failed: try for ourselves (without coalescing, to never wait twice).
                None
            }
            Turn::Leader(guard) => Some(guard),
        };
        let result = self.render(request, route.clone(), None).await;
        let now = self.ports.clock().now_millis();
        let outcome = match result {
            Ok(response) if response.status() == StatusCode::OK => {
                let link = response.headers().get(LINK).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let entry = Stored::new(response.into_body(), link, now);
                let verdict = match &stale {
                    Some(old) if old.etag == entry.etag => Verdict::Revalidated,
                    _ => Verdict::Miss,
                };
                self.local.borrow_mut().put(key, entry.clone());
                self.ports.cache().put(key, &entry, policy.keep_secs()).await;
                Ok(self.answer_from(request, &entry, policy, verdict, now))
            }
            Ok(response) => Ok(response),
            Err(err) if is_origin_trouble(&err) => match stale {
                Some(entry) => {
                    let mut response = self.answer_from(request, &entry, policy, Verdict::Stale, now);
                    response.headers_mut().insert("warning", HeaderValue::from_static("111 - \"Revalidation Failed\""));
                    response.extensions_mut().insert(crate::app::Failure(err));
                    Ok(response)
                }
                None => Err(err),
            },
            Err(err) => Err(err),
        };
        // An error from the origin's side of a cacheable read is not cached, and says so.
        let outcome = outcome.or_else(|err| {
            let mut response = crate::envelope::error(&err);
            response.headers_mut().insert("x-cache", HeaderValue::from_static(Verdict::Miss.as_str()));
            response.extensions_mut().insert(crate::app::Failure(err));
            Ok::<_, ApiError>(response)
        });
        if _guard.is_some() {
            self.flights.borrow_mut().remove(key);
        }
        outcome
    }

    /// The entry under `key`: the in-isolate layer first, then the shared cache (copied into the first).
    async fn lookup(&self, key: &str) -> Option<Stored> {
        if let Some(entry) = self.local.borrow().get(key) {
            return Some(entry.clone());
        }
        let entry = self.ports.cache().get(key).await?;
        self.local.borrow_mut().put(key, entry.clone());
        Some(entry)
    }

    /// The cache key and policy of a catalog read: the route's validated, normalised parameters (so equal
    /// requests share an entry and invalid ones never reach the cache) under the configured version.
    fn cache_key(&self, route: &Route, raw_query: Option<&str>) -> Result<(String, Policy), ApiError> {
        let policies = &self.config.cache;
        let (key, policy) = match route {
            Route::ListCourses => {
                let list = ListCourses::parse(raw_query)?;
                let cursor = list.after.as_ref().map(|c| c.encode()).unwrap_or_default();
                let category = list.category.as_deref().unwrap_or_default();
                (format!("courses?category={category}&cursor={cursor}&limit={}", list.limit), policies.courses)
            }
            Route::GetCourse(id) => {
                no_query(raw_query)?;
                if !is_uuid(id) {
                    return Err(ApiError::NotFound { resource: "course" });
                }
                (format!("course/{}", id.to_ascii_lowercase()), policies.course)
            }
            Route::ListLessons => {
                let query = Query::parse(raw_query, &["courseId"])?;
                let course = query::uuid("courseId", query.get("courseId"))?;
                (format!("lessons?courseId={course}"), policies.lessons)
            }
            Route::GetLesson(id) => {
                no_query(raw_query)?;
                if !is_uuid(id) {
                    return Err(ApiError::NotFound { resource: "lesson" });
                }
                (format!("lesson/{}", id.to_ascii_lowercase()), policies.lesson)
            }
            Route::ListCategories => {
                no_query(raw_query)?;
                ("categories".to_owned(), policies.categories)
            }
            _ => return Err(ApiError::Internal { internal: format!("{route:?} is not cacheable") }),
        };
        Ok((key, policy))
    }

    /// The prefix of every catalog cache key: the configured cache version and the catalog's version, read
    /// from the version store at most once per `CATALOG_VERSION_TTL` per isolate.
    pub(crate) async fn catalog_version(&self) -> String {
        let now = self.ports.clock().now_millis();
        let memo = self.version.borrow().clone();
        let current = match memo {
            Some((version, read_at)) if now.saturating_sub(read_at) < self.config.catalog_version_ttl_ms => version,
            _ => {
                let version = self.ports.versions().get().await.unwrap_or_else(|| "0".to_owned());
                *self.version.borrow_mut() = Some((version.clone(), now));
                version
            }
        };
        format!("v{}.{current}", self.config.cache_version)
    }

    /// After an admin write: a new catalog version, at once in this isolate, through the store everywhere else
    /// (each isolate re-reads it within `CATALOG_VERSION_TTL`; the store's own propagation adds to that).
    pub(crate) async fn bump_catalog_version(&self) {
        let now = self.ports.clock().now_millis();
        let previous = self.version.borrow().as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
        // The clock's milliseconds, moved past the previous version so two writes in one ms still differ.
        let next = match previous.parse::<u64>() {
            Ok(old) if old >= now => (old + 1).to_string(),
            _ => now.to_string(),
        };
        self.ports.versions().set(&next).await;
        *self.version.borrow_mut() = Some((next, now));
    }

    /// The answer for a cached entry: 304 when the client holds it already.
    fn answer_from(
        &self,
        request: &Request<Vec<u8>>,
        entry: &Stored,
        policy: &Policy,
        verdict: Verdict,
        now_ms: u64,
    ) -> Response<Vec<u8>> {
        let not_modified = none_match(request.headers().get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()), &entry.etag);
        let mut response = Response::new(if not_modified { Vec::new() } else { entry.body.clone() });
        *response.status_mut() = if not_modified { StatusCode::NOT_MODIFIED } else { StatusCode::OK };
        let headers = response.headers_mut();
        if !not_modified {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(crate::envelope::JSON));
            headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            if let Some(link) = entry.link.as_deref().and_then(|l| HeaderValue::from_str(l).ok()) {
                headers.insert(LINK, link);
            }
        }
        if let Ok(value) = HeaderValue::from_str(&policy.cache_control()) {
            headers.insert(CACHE_CONTROL, value);
        }
        if let Ok(value) = HeaderValue::from_str(&entry.etag) {
            headers.insert(ETAG, value);
        }
        headers.insert(http::header::AGE, HeaderValue::from(now_ms.saturating_sub(entry.stored_at_ms) / 1000));
        headers.insert("x-cache", HeaderValue::from_static(verdict.as_str()));
        response
    }
}

fn no_query(query: Option<&str>) -> Result<(), ApiError> {
    Query::parse(query, &[]).map(|_| ())
}

fn is_origin_trouble(err: &ApiError) -> bool {
    matches!(err, ApiError::OriginUnavailable { .. } | ApiError::OriginTimeout { .. } | ApiError::OriginError { .. })
}

/// The request a background refresh repeats: the same read, without the caller's credentials.
fn background_copy(request: &Request<Vec<u8>>) -> Request<Vec<u8>> {
    let mut copy = Request::new(Vec::new());
    *copy.method_mut() = http::Method::GET;
    *copy.uri_mut() = request.uri().clone();
    copy.headers_mut().remove(AUTHORIZATION);
    copy
}

//! Routing: method + path → a typed [`Route`], or the 404/405 that says why not.
//!
//! Every route of the product is here, including those whose handlers later work adds, so that each already
//! has its access rule (see [`crate::auth::policy`]). Routing works on the plain request path (no
//! runtime-added prefix or header), so every shell routes alike. `HEAD` is accepted wherever `GET` is.

use crate::error::ApiError;
use http::Method;

/// A request the API knows, with its path parameters percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /health`: liveness, answered without the origin, key or token.
    Health,
    /// `GET /courses`: the published catalog, paginated.
    ListCourses,
    /// `POST /courses` (admin).
    CreateCourse,
    /// `GET /courses/{id}`: one course with its lesson outline.
    GetCourse(String),
    /// `PUT /courses/{id}` (admin).
    UpdateCourse(String),
    /// `DELETE /courses/{id}` (admin).
    DeleteCourse(String),
    /// `GET /lessons?courseId=`: a course's lessons in day order.
    ListLessons,
    /// `POST /lessons` (admin).
    CreateLesson,
    /// `GET /lessons/{id}`: one lesson.
    GetLesson(String),
    /// `PUT /lessons/{id}` (admin).
    UpdateLesson(String),
    /// `DELETE /lessons/{id}` (admin).
    DeleteLesson(String),
    /// `GET /categories`: all categories.
    ListCategories,
    /// `GET /enrollments`: the caller's enrollments.
    ListEnrollments,
    /// `POST /enrollments`: enroll the caller.
    CreateEnrollment,
    /// `POST /progress`: record the caller's progress on a lesson.
    RecordProgress,
    /// `GET /progress/{userId}`.
    GetProgress(String),
    /// `GET /users/me`: the caller, from the token.
    Me,
    /// `GET /users/{id}`.
    GetUser(String),
    /// `PUT /users/{id}`.
    UpdateUser(String),
    /// `GET /users/{id}/stats`.
    GetUserStats(String),
    /// `GET /analytics/{report}` (admin).
    Analytics(String),
    /// `POST /ai-generation/generate-course` (admin).
    GenerateCourse,
    /// `POST /ai-generation/generate-video` (admin).
    GenerateVideo,
    /// `GET /ai-generation/jobs/{id}` (admin).
    GenerationJob(String),
    /// `GET /badges`: the caller's badges.
    ListBadges,
    /// `GET /recommendations`: courses for the caller.
    Recommendations,
    /// `GET /media/lessons/{lessonId}/playback`: signed playback URL and cookies.
    MediaPlayback(String),
    /// `GET /media/{key…}`: a media object behind the signature gate.
    MediaObject(String),
    /// `POST /uploads` (admin): a presigned upload URL.
    CreateUpload,
}

const GET: &[&str] = &["GET", "HEAD"];
const GET_POST: &[&str] = &["GET", "HEAD", "POST"];
const GET_PUT: &[&str] = &["GET", "HEAD", "PUT"];
const GET_PUT_DELETE: &[&str] = &["GET", "HEAD", "PUT", "DELETE"];
const POST: &[&str] = &["POST"];

/// Finds the route for `method` and `path`.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let trimmed = match path.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    };
    let raw: Vec<&str> = trimmed.strip_prefix('/').unwrap_or(trimmed).split('/').collect();
    if raw.len() > 8 {
        return Err(not_found());
    }
    let segments = raw.iter().map(|s| decode_segment(s)).collect::<Result<Vec<String>, ApiError>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = method == Method::GET || method == Method::HEAD;
    let (post, put, delete) = (method == Method::POST, method == Method::PUT, method == Method::DELETE);
    let id = |index: usize| segments[index].clone();

    let (allowed, chosen) = match s.as_slice() {
        ["health"] => (GET, get.then_some(Route::Health)),
        ["courses"] => (
            GET_POST,
            if get {
                Some(Route::ListCourses)
            } else if post {
                Some(Route::CreateCourse)
            } else {
                None
            },
        ),
        ["courses", _] => (
            GET_PUT_DELETE,
            if get {
                Some(Route::GetCourse(id(1)))
            } else if put {
                Some(Route::UpdateCourse(id(1)))
            } else if delete {
                Some(Route::DeleteCourse(id(1)))
            } else {
                None
            },
        ),
        ["lessons"] => (
            GET_POST,
            if get {
                Some(Route::ListLessons)
            } else if post {
                Some(Route::CreateLesson)
            } else {
                None
            },
        ),
        ["lessons", _] => (
            GET_PUT_DELETE,
            if get {
                Some(Route::GetLesson(id(1)))
            } else if put {
                Some(Route::UpdateLesson(id(1)))
            } else if delete {
                Some(Route::DeleteLesson(id(1)))
            } else {
                None
            },
        ),
        ["categories"] => (GET, get.then_some(Route::ListCategories)),
        ["enrollments"] => (
            GET_POST,
            if get {
                Some(Route::ListEnrollments)
            } else if post {
                Some(Route::CreateEnrollment)
            } else {
                None
            },
        ),
        ["progress"] => (POST, post.then_some(Route::RecordProgress)),
        ["progress", _] => (GET, get.then(|| Route::GetProgress(id(1)))),
        ["users", "me"] => (GET, get.then_some(Route::Me)),
        ["users", _] => (
            GET_PUT,
            if get {
                Some(Route::GetUser(id(1)))
            } else if put {
                Some(Route::UpdateUser(id(1)))
            } else {
                None
            },
        ),
        ["users", _, "stats"] => (GET, get.then(|| Route::GetUserStats(id(1)))),
        ["analytics", _] => (GET, get.then(|| Route::Analytics(id(1)))),
        ["ai-generation", "generate-course"] => (POST, post.then_some(Route::GenerateCourse)),
        ["ai-generation", "generate-video"] => (POST, post.then_some(Route::GenerateVideo)),
        ["ai-generation", "jobs", _] => (GET, get.then(|| Route::GenerationJob(id(2)))),
        ["badges"] => (GET, get.then_some(Route::ListBadges)),
        ["recommendations"] => (GET, get.then_some(Route::Recommendations)),
        ["media", "lessons", _, "playback"] => (GET, get.then(|| Route::MediaPlayback(id(2)))),
        ["media", rest @ ..] if !rest.is_empty() => (GET, get.then(|| Route::MediaObject(rest.join("/")))),
        ["uploads"] => (POST, post.then_some(Route::CreateUpload)),
        _ => return Err(not_found()),
    };
    chosen.ok_or(ApiError::MethodNotAllowed { allow: allowed })
}

fn decode_segment(raw: &str) -> Result<String, ApiError> {
    if raw.is_empty() {
        return Err(not_found());
    }
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().map_err(|_| not_found())?;
    // An encoded slash or dot-segment inside a parameter never names another path.
    if decoded.contains('/') || decoded == "." || decoded == ".." {
        return Err(not_found());
    }
    Ok(decoded.into_owned())
}

fn not_found() -> ApiError {
    ApiError::NotFound { resource: "route" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_table() {
        let (get, post, put, delete) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
        let cases: &[(&Method, &str, Result<Route, &str>)] = &[
            (&get, "/health", Ok(Route::Health)),
            (&get, "/courses", Ok(Route::ListCourses)),
            (&get, "/courses/", Ok(Route::ListCourses)),
            (&post, "/courses", Ok(Route::CreateCourse)),
            (&get, "/courses/abc", Ok(Route::GetCourse("abc".into()))),
            (&get, "/courses/a%20b", Ok(Route::GetCourse("a b".into()))),
            (&Method::HEAD, "/courses/abc", Ok(Route::GetCourse("abc".into()))),
            (&put, "/courses/abc", Ok(Route::UpdateCourse("abc".into()))),
            (&delete, "/courses/abc", Ok(Route::DeleteCourse("abc".into()))),
            (&get, "/lessons", Ok(Route::ListLessons)),
            (&get, "/lessons/x", Ok(Route::GetLesson("x".into()))),
            (&get, "/categories", Ok(Route::ListCategories)),
            (&get, "/enrollments", Ok(Route::ListEnrollments)),
            (&post, "/enrollments", Ok(Route::CreateEnrollment)),
            (&post, "/progress", Ok(Route::RecordProgress)),
            (&get, "/progress/u1", Ok(Route::GetProgress("u1".into()))),
            (&get, "/users/me", Ok(Route::Me)),
            (&get, "/users/u1", Ok(Route::GetUser("u1".into()))),
            (&put, "/users/u1", Ok(Route::UpdateUser("u1".into()))),
            (&get, "/users/u1/stats", Ok(Route::GetUserStats("u1".into()))),
            (&get, "/analytics/overview", Ok(Route::Analytics("overview".into()))),
            (&post, "/ai-generation/generate-course", Ok(Route::GenerateCourse)),
            (&post, "/ai-generation/generate-video", Ok(Route::GenerateVideo)),
            (&get, "/ai-generation/jobs/j1", Ok(Route::GenerationJob("j1".into()))),
            (&get, "/badges", Ok(Route::ListBadges)),
            (&get, "/recommendations", Ok(Route::Recommendations)),
            (&get, "/media/lessons/l1/playback", Ok(Route::MediaPlayback("l1".into()))),
            (&get, "/media/lessons/l1/index.m3u8", Ok(Route::MediaObject("lessons/l1/index.m3u8".into()))),
            (&post, "/uploads", Ok(Route::CreateUpload)),
            (&get, "/", Err("NOT_FOUND")),
            (&get, "", Err("NOT_FOUND")),
            (&get, "/nope", Err("NOT_FOUND")),
            (&get, "/courses/a/b", Err("NOT_FOUND")),
            (&get, "/courses//", Err("NOT_FOUND")),
            (&get, "/categories/x", Err("NOT_FOUND")),
            (&get, "/courses/%FF", Err("NOT_FOUND")),
            (&get, "/courses/a%2Fb", Err("NOT_FOUND")),
            (&get, "/media/a/%2E%2E/b", Err("NOT_FOUND")),
            (&get, "/media", Err("NOT_FOUND")),
            (&get, "/a/b/c/d/e/f/g/h/i", Err("NOT_FOUND")),
            (&post, "/categories", Err("METHOD_NOT_ALLOWED")),
            (&Method::PATCH, "/courses/abc", Err("METHOD_NOT_ALLOWED")),
            (&get, "/uploads", Err("METHOD_NOT_ALLOWED")),
            (&get, "/progress", Err("METHOD_NOT_ALLOWED")),
            (&post, "/nope", Err("NOT_FOUND")),
        ];
        for (method, path, expected) in cases {
            let got = route(method, path);
            match (expected, &got) {
                (Ok(want), Ok(have)) => assert_eq!(want, have, "{method} {path}"),
                (Err(code), Err(err)) => assert_eq!(*code, err.code(), "{method} {path}"),
                _ => panic!("{method} {path}: expected {expected:?}, got {got:?}"),
            }
        }
        assert_eq!(route(&Method::PATCH, "/courses/abc"), Err(ApiError::MethodNotAllowed { allow: GET_PUT_DELETE }));
    }
}

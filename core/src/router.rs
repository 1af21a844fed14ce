//! Routing: method + path → a typed [`Route`], or the 404/405 that says why not.
//!
//! Routing works on the plain request path (no runtime-added prefix or header), so every shell routes alike.

use crate::error::ApiError;
use http::Method;

/// A request the API knows how to answer, with its path parameters decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /health`: liveness, answered without the origin.
    Health,
    /// `GET /courses`: the published catalog, paginated.
    ListCourses,
    /// `GET /courses/{id}`: one course with its lesson outline.
    GetCourse(String),
    /// `GET /lessons?courseId=`: a course's lessons in day order.
    ListLessons,
    /// `GET /lessons/{id}`: one lesson.
    GetLesson(String),
    /// `GET /categories`: all categories.
    ListCategories,
}

const READ_ONLY: &[&str] = &["GET", "HEAD"];

/// Finds the route for `method` and `path`.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let trimmed = match path.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    };
    let mut segments = trimmed.strip_prefix('/').unwrap_or(trimmed).split('/');
    let first = segments.next().unwrap_or("");
    let second = segments.next().map(decode_segment).transpose()?;
    if segments.next().is_some() {
        return Err(not_found());
    }
    let route = match (first, second) {
        ("health", None) => Route::Health,
        ("courses", None) => Route::ListCourses,
        ("courses", Some(id)) => Route::GetCourse(id),
        ("lessons", None) => Route::ListLessons,
        ("lessons", Some(id)) => Route::GetLesson(id),
        ("categories", None) => Route::ListCategories,
        _ => return Err(not_found()),
    };
    if method == Method::GET || method == Method::HEAD {
        Ok(route)
    } else {
        Err(ApiError::MethodNotAllowed { allow: READ_ONLY })
    }
}

fn decode_segment(raw: &str) -> Result<String, ApiError> {
    if raw.is_empty() {
        return Err(not_found());
    }
    percent_encoding::percent_decode_str(raw).decode_utf8().map(|s| s.into_owned()).map_err(|_| not_found())
}

fn not_found() -> ApiError {
    ApiError::NotFound { resource: "route" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_table() {
        let get = Method::GET;
        let cases: &[(&Method, &str, Result<Route, &str>)] = &[
            (&get, "/health", Ok(Route::Health)),
            (&get, "/courses", Ok(Route::ListCourses)),
            (&get, "/courses/", Ok(Route::ListCourses)),
            (&get, "/courses/abc", Ok(Route::GetCourse("abc".into()))),
            (&get, "/courses/a%20b", Ok(Route::GetCourse("a b".into()))),
            (&Method::HEAD, "/courses/abc", Ok(Route::GetCourse("abc".into()))),
            (&get, "/lessons", Ok(Route::ListLessons)),
            (&get, "/lessons/x", Ok(Route::GetLesson("x".into()))),
            (&get, "/categories", Ok(Route::ListCategories)),
            (&get, "/", Err("NOT_FOUND")),
            (&get, "", Err("NOT_FOUND")),
            (&get, "/nope", Err("NOT_FOUND")),
            (&get, "/courses/a/b", Err("NOT_FOUND")),
            (&get, "/courses//", Err("NOT_FOUND")),
            (&get, "/categories/x", Err("NOT_FOUND")),
            (&get, "/courses/%FF", Err("NOT_FOUND")),
            (&Method::POST, "/categories", Err("METHOD_NOT_ALLOWED")),
            (&Method::DELETE, "/courses/abc", Err("METHOD_NOT_ALLOWED")),
            (&Method::POST, "/nope", Err("NOT_FOUND")),
        ];
        for (method, path, expected) in cases {
            let got = route(method, path);
            match (expected, &got) {
                (Ok(want), Ok(have)) => assert_eq!(want, have, "{method} {path}"),
                (Err(code), Err(err)) => assert_eq!(*code, err.code(), "{method} {path}"),
                _ => panic!("{method} {path}: expected {expected:?}, got {got:?}"),
            }
        }
    }
}

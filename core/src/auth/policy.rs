//! Who may call what: the one authorization table of the API, enforced by `App` before any handler runs.
//!
//! | rule | routes |
//! |---|---|
//! | public (API key only) | `GET /courses`, `/courses/{id}`, `/lessons` list, `/categories`, the media gate (its own signatures) |
//! | public, token optional | `GET /lessons/{id}` (full content depends on who asks) |
//! | signed in | `/enrollments`, `POST /progress`, `/recommendations`, `/badges`, `/users/me`, media playback |
//! | self or admin | `/users/{id}`, `/users/{id}/stats`, `/progress/{userId}` (another user's id → 403) |
//! | admin | course and lesson writes, `/analytics/*`, `/ai-generation/*`, `/uploads` |
//!
//! `/health` needs neither key nor token.

use crate::router::Route;

/// The access rule of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key, no token (`/health`).
    Open,
    /// An API key; no token.
    Public,
    /// An API key; a token is verified when one is sent.
    OptionalUser,
    /// An API key and a valid token.
    SignedIn,
    /// An API key and a token of the user the path names, or of an admin.
    SelfOrAdmin,
    /// An API key and an admin's token.
    Admin,
}

/// The rule for `route`.
pub fn access(route: &Route) -> Access {
    use Route::*;
    match route {
        Health => Access::Open,
        ListCourses | GetCourse(_) | ListLessons | ListCategories | MediaObject(_) => Access::Public,
        GetLesson(_) => Access::OptionalUser,
        ListEnrollments | CreateEnrollment | RecordProgress | Recommendations | ListBadges | Me | MediaPlayback(_) => {
            Access::SignedIn
        }
        GetUser(_) | UpdateUser(_) | GetUserStats(_) | GetProgress(_) => Access::SelfOrAdmin,
        CreateCourse | UpdateCourse(_) | DeleteCourse(_) | CreateLesson | UpdateLesson(_) | DeleteLesson(_)
        | Analytics(_) | GenerateCourse | GenerateVideo | GenerationJob(_) | CreateUpload => Access::Admin,
    }
}

/// The user id a self-or-admin route is about.
pub fn subject(route: &Route) -> Option<&str> {
    match route {
        Route::GetUser(id) | Route::UpdateUser(id) | Route::GetUserStats(id) | Route::GetProgress(id) => Some(id),
        _ => None,
    }
}

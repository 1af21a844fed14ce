//! Who may read a whole lesson (`GET /lessons/{id}`): everyone for day 1 of a published course (the free
//! preview); an enrolled learner once the lesson's day has begun; an admin always (drafts included). Others get
//! the reason: 401 (sign in), 403 `ENROLLMENT_REQUIRED`, or 403 `LESSON_LOCKED` with `details.unlocksAt`. The
//! lesson's catalog fields (id, day, title) stay public through the lesson list and the course outline.

use super::unlock_sql;
use crate::catalog::lessons::LessonDetail;
use crate::db::{ResultSet, SqlValue, Statement};
use crate::error::ApiError;
use crate::exec::NOW;
use crate::query::is_uuid;
use crate::users::rfc3339;

/// The day every visitor may read.
pub const PREVIEW_DAY: i64 = 1;

/// Whether an anonymous reader may have the lesson of `day` (a published course's; others are 404 already).
pub fn anonymous(lesson: LessonDetail) -> Result<LessonDetail, ApiError> {
    if lesson.day == PREVIEW_DAY {
        Ok(lesson)
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The statement for a signed-in reader: the lesson with the reader's enrollment and its unlock, or `None`
/// when the id cannot exist.
pub fn statement(lesson_id: &str, user_id: &str, now: &str) -> Option<Statement> {
    if !is_uuid(lesson_id) {
        return None;
    }
    let unlock = unlock_sql("e", "u", "l.day");
    let sql = format!(
        "SELECT l.id, l.course_id, l.day, l.title, l.content, l.video_url, l.action_items, l.resources, \
         c.status = 'published' AS published, e.id IS NOT NULL AS enrolled, {unlock} AS unlocks_at, \
         COALESCE({unlock} <= {NOW}, false) AS unlocked \
         FROM lessons l JOIN courses c ON c.id = l.course_id \
         LEFT JOIN enrollments e ON e.course_id = l.course_id AND e.user_id = :user_id \
         LEFT JOIN users u ON u.id = e.user_id \
         WHERE l.id = :id"
    );
    Some(
        Statement::new(sql)
            .bind("id", SqlValue::Uuid(lesson_id.to_ascii_lowercase()))
            .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
            .bind("now", SqlValue::Timestamp(now.to_owned())),
    )
}

/// Decides from [`statement`]'s rows.
pub fn decide(rows: &ResultSet, admin: bool) -> Result<LessonDetail, ApiError> {
    let row = rows.first().ok_or(ApiError::NotFound { resource: "lesson" })?;
    let lesson = LessonDetail::from_row(row)?;
    if admin {
        return Ok(lesson);
    }
    let (published, enrolled) = (row.bool("published")?, row.bool("enrolled")?);
    if !published && !enrolled {
        // A draft's lessons do not exist for learners; an archived course's stay readable to its learners.
        return Err(ApiError::NotFound { resource: "lesson" });
    }
    if published && lesson.day == PREVIEW_DAY {
        return Ok(lesson);
    }
    if !enrolled {
        return Err(ApiError::EnrollmentRequired);
    }
    if !row.bool("unlocked")? {
        return Err(ApiError::LessonLocked { unlocks_at: rfc3339(row.text("unlocks_at")?) });
    }
    Ok(lesson)
}

//! `GET /users/{id}/stats`: courses enrolled and completed, lessons completed, total time, and the daily
//! streaks. A streak is a run of consecutive local dates (in the learner's time zone) with at least one lesson
//! completed; the current streak is the run ending today or yesterday (today is not over yet), else 0.

use crate::db::{ResultSet, SqlValue, Statement};
use crate::error::ApiError;
use serde::Serialize;

/// The one statement; no row when the user does not exist.
pub fn statement(user_id: &str, now: &str) -> Statement {
    Statement::new(format!(
        "WITH u AS (SELECT id, timezone FROM users WHERE id = :user_id), \
         days AS (SELECT DISTINCT (p.completed_at AT TIME ZONE u.timezone)::date AS d \
                  FROM progress p JOIN u ON p.user_id = u.id WHERE p.completed), \
         runs AS (SELECT d, d - (row_number() OVER (ORDER BY d))::integer AS grp FROM days), \
         islands AS (SELECT max(d) AS last_day, count(*) AS len FROM runs GROUP BY grp), \
         today AS (SELECT ({now} AT TIME ZONE u.timezone)::date AS t FROM u) \
         SELECT u.id, u.timezone, \
           (SELECT count(*) FROM enrollments WHERE user_id = u.id) AS courses_enrolled, \
           (SELECT count(*) FROM enrollments WHERE user_id = u.id AND completed_at IS NOT NULL) AS courses_completed, \
           (SELECT count(*) FROM progress WHERE user_id = u.id AND completed) AS lessons_completed, \
           (SELECT COALESCE(sum(time_spent_seconds), 0) FROM progress WHERE user_id = u.id) AS total_time_seconds, \
           COALESCE((SELECT max(len) FROM islands), 0) AS longest_streak, \
           COALESCE((SELECT max(len) FROM islands, today WHERE last_day >= today.t - 1), 0) AS current_streak, \
           (SELECT t FROM today) AS today \
         FROM u",
        now = crate::exec::NOW
    ))
    .bind("user_id", SqlValue::Uuid(user_id.to_owned()))
    .bind("now", SqlValue::Timestamp(now.to_owned()))
}

/// A learner's stats.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// The learner.
    pub user_id: String,
    /// Courses enrolled in.
    pub courses_enrolled: i64,
    /// Courses completed.
    pub courses_completed: i64,
    /// Lessons completed.
    pub lessons_completed: i64,
    /// Seconds spent, over all lessons.
    pub total_time_seconds: i64,
    /// Consecutive days with a completed lesson, ending today or yesterday.
    pub current_streak_days: i64,
    /// The longest such run ever.
    pub longest_streak_days: i64,
    /// The time zone the days are counted in.
    pub timezone: String,
    /// The learner's local date now (`YYYY-MM-DD`).
    pub today: String,
}

/// Reads the row of [`statement`].
pub fn read(rows: &ResultSet) -> Result<Stats, ApiError> {
    let row = rows.first().ok_or(ApiError::NotFound { resource: "user" })?;
    Ok(Stats {
        user_id: row.text("id")?.to_owned(),
        courses_enrolled: row.long("courses_enrolled")?,
        courses_completed: row.long("courses_completed")?,
        lessons_completed: row.long("lessons_completed")?,
        total_time_seconds: row.long("total_time_seconds")?,
        current_streak_days: row.long("current_streak")?,
        longest_streak_days: row.long("longest_streak")?,
        timezone: row.text("timezone")?.to_owned(),
        today: row.text("today")?.to_owned(),
    })
}

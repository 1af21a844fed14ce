//! The learner's side: enrolling, recording a day's progress, reading a lesson once its day has come, and the
//! learner's own progress and stats.
//!
//! **The daily unlock.** Lesson day N of an enrollment opens at the start (00:00) of day N of the enrollment
//! in the learner's time zone (profile `timezone`, an IANA name, default UTC): day 1 is the local date of
//! enrolling. It is computed in SQL (PostgreSQL knows every IANA zone, the wasm build carries no time-zone
//! table) against `:now`, the edge's clock, so one request uses one instant throughout.

pub mod enrollments;
pub mod lesson_access;
pub mod progress;
pub mod stats;

use crate::users::rfc3339;

/// SQL for the instant lesson day `day` opens, for enrollment alias `e` of user alias `u` (a `timestamptz`).
pub fn unlock_sql(e: &str, u: &str, day: &str) -> String {
    format!("((({e}.enrolled_at AT TIME ZONE {u}.timezone)::date + ({day} - 1))::timestamp AT TIME ZONE {u}.timezone)")
}

/// A nullable Data API timestamp as RFC 3339.
pub(crate) fn opt_time(db: Option<&str>) -> Option<String> {
    db.map(rfc3339)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unlock_is_the_local_start_of_the_day() {
        assert_eq!(
            super::unlock_sql("e", "u", "l.day"),
            "(((e.enrolled_at AT TIME ZONE u.timezone)::date + (l.day - 1))::timestamp AT TIME ZONE u.timezone)"
        );
    }
}

//! The learner's day and the admin's pen, through the edge against the local origin: enrollments, daily
//! progress with the unlock in the learner's time zone, lesson gating, profiles, stats and streaks, idempotent
//! POSTs, retries on a resuming database, and course/lesson writes.
//!
//! Every case signs in as users of its own (a fresh Cognito `sub`), so cases never see each other's rows and the
//! suite can run against both edges over one database. Times are set up by moving a fixture's stored instants
//! (enrollment, completion) through the Data API — the edge's clock is the real one.

use momentum_core::db::{Cell, SqlValue, Statement};
use momentum_tests::{call_as, mint, send, OriginFaults, Reply};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

/// "Leading Remote Teams": free, published, 14 days.
const FREE_COURSE: &str = "20000000-0000-4000-8000-000000000002";
/// "Leadership Fundamentals": 29.99, published, 14 days.
const PAID_COURSE: &str = "20000000-0000-4000-8000-000000000001";
/// A draft course.
const DRAFT_COURSE: &str = "20000000-0000-4000-8000-000000000016";

/// The seeded lesson of `course` (its number in the seed, 1..19) on `day`.
fn lesson(course: u32, day: u32) -> String {
    format!("30{course:02}{day:04}-0000-4000-8000-0000{course:02}{day:06}")
}

/// A signed-in user of its own: token and user id.
struct Learner {
    token: String,
    id: String,
}

impl Learner {
    /// A new user with the role of the dev user `kind` (`free`, `premium`, `admin`).
    async fn new(kind: &str) -> Learner {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let sub = format!("{:08x}-{:04x}-4000-8000-{:012x}", std::process::id(), n, nanos % (1u128 << 48));
        let token = mint(json!({"user": kind, "sub": sub})).await;
        let me = call_as("GET", "/users/me", Some(&token), None).await;
        let id = me.expect_data(200)["userId"].as_str().expect("user id").to_owned();
        Learner { token, id }
    }

    /// A learner who lives in `zone`.
    async fn in_zone(kind: &str, zone: &str) -> Learner {
        let learner = Learner::new(kind).await;
        learner
            .call("PUT", &format!("/users/{}", learner.id), Some(json!({ "timezone": zone })))
            .await
            .expect_data(200);
        learner
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        call_as(method, path, Some(&self.token), body.map(|b| b.to_string()).as_deref()).await
    }

    async fn call_with_key(&self, path: &str, key: &str, body: Value) -> Reply {
        let bearer = format!("Bearer {}", self.token);
        let headers =
            [("authorization", bearer.as_str()), ("content-type", "application/json"), ("idempotency-key", key)];
        send("POST", &format!("{}{path}", momentum_tests::base_url()), &headers, Some(&body.to_string())).await
    }

    async fn enroll(&self, course: &str) -> Value {
        let reply = self.call("POST", "/enrollments", Some(json!({ "courseId": course }))).await;
        reply.expect_data(201).clone()
    }

    async fn progress(&self, lesson: &str, completed: bool, seconds: i64) -> Reply {
        let body = json!({"lessonId": lesson, "completed": completed, "timeSpentSeconds": seconds});
        self.call("POST", "/progress", Some(body)).await
    }
}

async fn sql(statement: Statement) -> Vec<Vec<Cell>> {
    let result = momentum_tests::data_api().execute_statement(&statement, None).await;
    result.unwrap_or_else(|err| panic!("{}: {err}", statement.sql)).rows
}

/// Moves the learner's enrollment in `course` to `at` (`YYYY-MM-DD HH:MM:SS`, UTC).
async fn enrolled_at(learner: &Learner, course: &str, at: &str) {
    let updated = sql(Statement::new(
        "UPDATE enrollments SET enrolled_at = :at AT TIME ZONE 'UTC' WHERE user_id = :user AND course_id = :course \
         RETURNING id",
    )
    .bind("at", SqlValue::Timestamp(at.into()))
    .bind("user", SqlValue::Uuid(learner.id.clone()))
    .bind("course", SqlValue::Uuid(course.into())))
    .await;
    assert_eq!(updated.len(), 1, "one enrollment moved");
}

async fn count(sql_text: &'static str, user: &str) -> i64 {
    let rows = sql(Statement::new(sql_text).bind("user", SqlValue::Uuid(user.into()))).await;
    match rows.first().and_then(|row| row.first()) {
        Some(Cell::Long(n)) => *n,
        other => panic!("{sql_text}: {other:?}"),
    }
}

/// Now, as epoch seconds, and as the database's UTC text for an instant `offset` seconds away.
fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

fn utc_text(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = momentum_core::exec::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn rfc3339(epoch: i64) -> String {
    format!("{}Z", utc_text(epoch).replace(' ', "T"))
}

/// The start of the local day containing `epoch` for a fixed UTC offset (in hours), as epoch seconds.
fn local_midnight(epoch: i64, offset_hours: i64) -> i64 {
    let local = epoch + offset_hours * 3600;
    local - local.rem_euclid(86_400) - offset_hours * 3600
}

#[tokio::test]
async fn enrolling_twice_keeps_one_enrollment() {
    let learner = Learner::new("free").await;
    let first = learner.enroll(FREE_COURSE).await;
    let mut keys: Vec<&str> = first.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["courseId", "enrolledAt", "enrollmentId", "status", "userId"]);
    assert_eq!(first["courseId"], FREE_COURSE);
    assert_eq!(first["userId"], learner.id.as_str());
    assert_eq!(first["status"], "active");
    assert!(first["enrolledAt"].as_str().is_some_and(|t| t.ends_with('Z') && t.contains('T')), "{first}");

    let again = learner.call("POST", "/enrollments", Some(json!({ "courseId": FREE_COURSE }))).await;
    assert_eq!(again.expect_data(200)["enrollmentId"], first["enrollmentId"], "the same enrollment");
    assert_eq!(again.header("cache-control"), "private, no-store");
    assert_eq!(count("SELECT count(*) FROM enrollments WHERE user_id = :user", &learner.id).await, 1);

    let list = learner.call("GET", "/enrollments", None).await;
    let items = list.expect_data(200)["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["enrollmentId"], first["enrollmentId"]);
    assert_eq!(items[0]["course"]["id"], FREE_COURSE);
    assert_eq!(items[0]["course"]["lessonsCount"], 14);
    assert_eq!(items[0]["percentComplete"], 0);
    assert_eq!(items[0]["nextLesson"]["day"], 1);
    assert_eq!(items[0]["nextLesson"]["unlocked"], true);
}

#[tokio::test]
async fn enrollment_refusals() {
    let free = Learner::new("free").await;
    let reply = free.call("POST", "/enrollments", Some(json!({ "courseId": PAID_COURSE }))).await;
    reply.expect_error(402, "PAYMENT_REQUIRED");
    assert_eq!(count("SELECT count(*) FROM enrollments WHERE user_id = :user", &free.id).await, 0);
    let premium = Learner::new("premium").await;
    premium.enroll(PAID_COURSE).await;

    for course in [DRAFT_COURSE, "20000000-0000-4000-8000-0000000000ff"] {
        free.call("POST", "/enrollments", Some(json!({ "courseId": course }))).await.expect_error(404, "NOT_FOUND");
    }
    for (body, field) in [
        (json!({ "courseId": "course-123" }), "courseId"),
        (json!({}), "courseId"),
        (json!({ "courseId": FREE_COURSE, "userId": premium.id }), "userId"),
        (json!([FREE_COURSE]), "body"),
    ] {
        let reply = free.call("POST", "/enrollments", Some(body.clone())).await;
        assert_eq!(reply.expect_error(400, "VALIDATION_ERROR")["field"], field, "{body}");
    }
    call_as("POST", "/enrollments", None, Some(&json!({ "courseId": FREE_COURSE }).to_string()))
        .await
        .expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn progress_upserts_and_never_moves_backwards() {
    let learner = Learner::new("free").await;
    let day1 = lesson(2, 1);
    learner.progress(&day1, false, 30).await.expect_error(403, "ENROLLMENT_REQUIRED");
    learner.enroll(FREE_COURSE).await;

    let first = learner.progress(&day1, true, 300).await;
    let data = first.expect_data(200).clone();
    assert_eq!(data["lessonId"], day1.as_str());
    assert_eq!(data["completed"], true);
    assert_eq!(data["timeSpentSeconds"], 300);
    let completed_at = data["completedAt"].as_str().expect("completedAt").to_owned();

    let second = learner.progress(&day1, false, 120).await;
    let data = second.expect_data(200);
    assert_eq!(data["completed"], true, "completed:false after true erases nothing");
    assert_eq!(data["completedAt"], completed_at.as_str(), "completedAt is set once");
    assert_eq!(data["timeSpentSeconds"], 420, "time adds up");
    assert_eq!(data["progressId"], first.json["data"]["progressId"]);
    assert_eq!(count("SELECT count(*) FROM progress WHERE user_id = :user", &learner.id).await, 1);

    for (body, field) in [
        (json!({"lessonId": day1, "completed": "yes"}), "completed"),
        (json!({"lessonId": day1, "completed": true, "timeSpentSeconds": -5}), "timeSpentSeconds"),
        (json!({"lessonId": "nope", "completed": true}), "lessonId"),
        (json!({"lessonId": day1, "completed": true, "userId": learner.id}), "userId"),
    ] {
        let reply = learner.call("POST", "/progress", Some(body.clone())).await;
        assert_eq!(reply.expect_error(400, "VALIDATION_ERROR")["field"], field, "{body}");
    }
    let unknown = json!({"lessonId": "30990001-0000-4000-8000-000099000001", "completed": true});
    learner.call("POST", "/progress", Some(unknown)).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_lesson_opens_at_local_midnight_of_its_day() {
    // Enrolled at 00:30 local time today, in UTC+13 and in UTC-10 (zones without daylight saving): day 1 is open,
    // day 2 opens at the next local midnight — whatever the UTC date of the enrollment.
    let now = now_secs();
    for (zone, offset) in [("Pacific/Tongatapu", 13), ("Pacific/Honolulu", -10)] {
        let learner = Learner::in_zone("free", zone).await;
        learner.enroll(FREE_COURSE).await;
        let midnight = local_midnight(now, offset);
        // 00:30 today locally, or just now if that is still ahead.
        let enrolled = (midnight + 1800).min(now - 1);
        enrolled_at(&learner, FREE_COURSE, &utc_text(enrolled)).await;
        let opens = local_midnight(enrolled, offset) + 86_400;

        learner.progress(&lesson(2, 1), true, 60).await.expect_data(200);
        let locked = learner.progress(&lesson(2, 2), true, 60).await;
        let details = locked.expect_error(403, "LESSON_LOCKED");
        assert_eq!(details["unlocksAt"], rfc3339(opens).as_str(), "{zone}");
        let read = learner.call("GET", &format!("/lessons/{}", lesson(2, 2)), None).await;
        assert_eq!(read.expect_error(403, "LESSON_LOCKED")["unlocksAt"], rfc3339(opens).as_str(), "{zone}");

        // A day later, day 2 is open and day 3 is not.
        enrolled_at(&learner, FREE_COURSE, &utc_text(enrolled - 86_400)).await;
        learner.progress(&lesson(2, 2), true, 60).await.expect_data(200);
        let day3 = learner.progress(&lesson(2, 3), true, 60).await;
        assert_eq!(day3.expect_error(403, "LESSON_LOCKED")["unlocksAt"], rfc3339(opens).as_str(), "{zone}");
    }

    // The same instant of enrollment, seen from both zones: 10:30 UTC is 23:30 of one day in UTC+13 and 00:30 of
    // that day in UTC-10 … the boundary in each learner's own day decides, not UTC's.
    let east = Learner::in_zone("free", "Pacific/Tongatapu").await;
    let west = Learner::in_zone("free", "Pacific/Honolulu").await;
    let utc_midnight = now - now.rem_euclid(86_400);
    let instant = if utc_midnight + 37_800 <= now { utc_midnight + 37_800 } else { utc_midnight - 86_400 + 37_800 };
    for learner in [&east, &west] {
        learner.enroll(FREE_COURSE).await;
        enrolled_at(learner, FREE_COURSE, &utc_text(instant)).await;
    }
    let day2_east = local_midnight(instant, 13) + 86_400;
    let day2_west = local_midnight(instant, -10) + 86_400;
    assert_eq!(day2_east - instant, 1800, "30 minutes before the east learner's midnight");
    assert_eq!(day2_west - instant, 84_600, "just after the west learner's midnight");
    let list = east.call("GET", "/enrollments", None).await;
    let next = &list.expect_data(200)["items"][0]["nextLesson"];
    assert_eq!(next["day"], 1);
    let detail = east.call("GET", &format!("/lessons/{}", lesson(2, 2)), None).await;
    if day2_east <= now {
        assert_eq!(detail.status, 200);
    } else {
        assert_eq!(detail.expect_error(403, "LESSON_LOCKED")["unlocksAt"], rfc3339(day2_east).as_str());
    }
    let detail = west.call("GET", &format!("/lessons/{}", lesson(2, 2)), None).await;
    if day2_west <= now {
        assert_eq!(detail.status, 200);
    } else {
        assert_eq!(detail.expect_error(403, "LESSON_LOCKED")["unlocksAt"], rfc3339(day2_west).as_str());
    }
}

#[tokio::test]
async fn lesson_content_is_for_the_preview_the_enrolled_and_admins() {
    let day1 = format!("/lessons/{}", lesson(2, 1));
    let day3 = format!("/lessons/{}", lesson(2, 3));
    assert!(call_as("GET", &day1, None, None).await.expect_data(200)["content"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    call_as("GET", &day3, None, None).await.expect_error(401, "UNAUTHORIZED");

    let learner = Learner::new("free").await;
    learner.call("GET", &day1, None).await.expect_data(200);
    learner.call("GET", &day3, None).await.expect_error(403, "ENROLLMENT_REQUIRED");
    learner.enroll(FREE_COURSE).await;
    learner.call("GET", &day3, None).await.expect_error(403, "LESSON_LOCKED");
    enrolled_at(&learner, FREE_COURSE, &utc_text(now_secs() - 3 * 86_400)).await;
    let read = learner.call("GET", &day3, None).await;
    assert_eq!(read.expect_data(200)["day"], 3);
    assert_eq!(read.header("cache-control"), "private, no-store");

    let admin = Learner::new("admin").await;
    admin.call("GET", &day3, None).await.expect_data(200);
    let draft = format!("/lessons/{}", lesson(16, 2));
    admin.call("GET", &draft, None).await.expect_data(200);
    learner.call("GET", &draft, None).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn finishing_the_last_lesson_completes_the_course() {
    let learner = Learner::new("free").await;
    learner.enroll(FREE_COURSE).await;
    enrolled_at(&learner, FREE_COURSE, &utc_text(now_secs() - 20 * 86_400)).await;
    for day in 1..=13 {
        let data = learner.progress(&lesson(2, day), true, 100).await.expect_data(200).clone();
        assert_eq!(data["courseCompleted"], false, "day {day}");
    }
    let list = learner.call("GET", "/enrollments", None).await;
    let item = &list.expect_data(200)["items"][0];
    assert_eq!((item["percentComplete"].clone(), item["nextLesson"]["day"].clone()), (json!(92), json!(14)));
    let last = learner.progress(&lesson(2, 14), true, 100).await;
    assert_eq!(last.expect_data(200)["courseCompleted"], true);
    let list = learner.call("GET", "/enrollments", None).await;
    let item = &list.expect_data(200)["items"][0];
    assert_eq!(item["status"], "completed");
    assert_eq!(item["percentComplete"], 100);
    assert_eq!(item["nextLesson"], Value::Null);
    assert!(item["completedAt"].is_string());

    let progress = learner.call("GET", &format!("/progress/{}", learner.id), None).await;
    let course = &progress.expect_data(200)["courses"][0];
    assert_eq!(course["courseId"], FREE_COURSE);
    assert_eq!((course["lessonsCompleted"].clone(), course["lessonsTotal"].clone()), (json!(14), json!(14)));
    assert_eq!(course["timeSpentSeconds"], 1400);
    assert!(course["lastActivityAt"].is_string());
    // Another learner's progress is not this one's to read.
    let other = Learner::new("free").await;
    other.call("GET", &format!("/progress/{}", learner.id), None).await.expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn completing_the_last_two_lessons_at_once_still_completes_the_course() {
    let learner = Learner::new("free").await;
    learner.enroll(FREE_COURSE).await;
    enrolled_at(&learner, FREE_COURSE, &utc_text(now_secs() - 20 * 86_400)).await;
    for day in 1..=12 {
        learner.progress(&lesson(2, day), true, 60).await.expect_data(200);
    }
    // Days 13 and 14 from two devices at once: each POST's statement runs in its own transaction, and neither
    // sees the other's lesson (the race is made certain by committing only after both statements ran).
    let client = momentum_tests::data_api();
    let now = utc_text(now_secs());
    let record = |day| momentum_core::learning::progress::Record {
        lesson_id: lesson(2, day),
        completed: true,
        time_spent_seconds: 60,
    };
    let (first, second) =
        (client.begin_transaction().await.expect("begin"), client.begin_transaction().await.expect("begin"));
    for (day, tx) in [(13, &first), (14, &second)] {
        let rows =
            client.execute_statement(&record(day).statement(&learner.id, &now), Some(tx)).await.expect("progress");
        let answer = momentum_core::learning::progress::recorded(&rows).expect("recorded");
        assert!(answer.completed && !answer.course_completed, "day {day}: the other lesson is not visible yet");
    }
    client.commit_transaction(&first).await.expect("commit");
    client.commit_transaction(&second).await.expect("commit");
    let list = learner.call("GET", "/enrollments", None).await;
    let item = &list.expect_data(200)["items"][0];
    assert_eq!((item["status"].as_str(), item["percentComplete"].as_u64()), (Some("completed"), Some(100)), "{item}");
    assert!(item["completedAt"].is_string(), "{item}");
    let stats = learner.call("GET", &format!("/users/{}/stats", learner.id), None).await;
    assert_eq!(stats.expect_data(200)["coursesCompleted"], 1);
}

#[tokio::test]
async fn streaks_count_local_days() {
    // A learner in UTC-10 completes lessons at 23:30 and 00:30 local time (09:30 and 10:30 UTC of one UTC day):
    // two local days. Then a gap, then today.
    let learner = Learner::in_zone("free", "Pacific/Honolulu").await;
    learner.enroll(FREE_COURSE).await;
    enrolled_at(&learner, FREE_COURSE, &utc_text(now_secs() - 30 * 86_400)).await;
    for day in 1..=4 {
        learner.progress(&lesson(2, day), true, 60).await.expect_data(200);
    }
    let now = now_secs();
    let today = local_midnight(now, -10);
    let at = |day: u32, epoch: i64| {
        Statement::new(
            "UPDATE progress SET completed_at = :at AT TIME ZONE 'UTC' WHERE user_id = :user AND lesson_id = :lesson",
        )
        .bind("at", SqlValue::Timestamp(utc_text(epoch)))
        .bind("user", SqlValue::Uuid(learner.id.clone()))
        .bind("lesson", SqlValue::Uuid(lesson(2, day)))
    };
    // Days -5 (23:30) and -4 (00:30): one hour apart, two local dates; day -3 at noon; then today.
    sql(at(1, today - 5 * 86_400 + 84_600)).await;
    sql(at(2, today - 4 * 86_400 + 1800)).await;
    sql(at(3, today - 3 * 86_400 + 43_200)).await;
    sql(at(4, now - 1)).await;
    let stats = learner.call("GET", &format!("/users/{}/stats", learner.id), None).await;
    let data = stats.expect_data(200);
    assert_eq!(data["longestStreakDays"], 3, "{data}");
    assert_eq!(data["currentStreakDays"], 1, "{data}");
    assert_eq!(data["lessonsCompleted"], 4);
    assert_eq!(data["coursesEnrolled"], 1);
    assert_eq!(data["coursesCompleted"], 0);
    assert_eq!(data["totalTimeSeconds"], 240);
    assert_eq!(data["timezone"], "Pacific/Honolulu");
    // In UTC the first two completions fall on one date: the same data in UTC is a shorter streak.
    learner.call("PUT", &format!("/users/{}", learner.id), Some(json!({"timezone": "UTC"}))).await.expect_data(200);
    let utc = learner.call("GET", &format!("/users/{}/stats", learner.id), None).await;
    assert_eq!(utc.expect_data(200)["longestStreakDays"], 2, "{}", utc.text);
}

#[tokio::test]
async fn profiles_change_only_their_own_fields() {
    let learner = Learner::new("free").await;
    let path = format!("/users/{}", learner.id);
    let body = json!({"name": "Ada L.", "timezone": "Europe/Paris", "avatarUrl": "https://cdn.example/a.png"});
    let updated = learner.call("PUT", &path, Some(body)).await;
    let data = updated.expect_data(200);
    assert_eq!((data["name"].clone(), data["timezone"].clone()), (json!("Ada L."), json!("Europe/Paris")));
    assert_eq!(data["avatarUrl"], "https://cdn.example/a.png");
    assert_eq!(learner.call("GET", &path, None).await.expect_data(200)["timezone"], "Europe/Paris");
    for (body, field) in [
        (json!({"email": "x@example.com"}), "email"),
        (json!({"role": "admin"}), "role"),
        (json!({"timezone": "Mars/Olympus_Mons"}), "timezone"),
        (json!({"timezone": "Europe/Paris'--"}), "timezone"),
        (json!({"avatarUrl": "http://insecure.example/a.png"}), "avatarUrl"),
        (json!({"nickname": "x"}), "nickname"),
        (json!({}), "body"),
    ] {
        let reply = learner.call("PUT", &path, Some(body.clone())).await;
        assert_eq!(reply.expect_error(400, "VALIDATION_ERROR")["field"], field, "{body}");
    }
    assert_eq!(learner.call("GET", &path, None).await.expect_data(200)["name"], "Ada L.", "nothing half-written");
    let other = Learner::new("free").await;
    other.call("PUT", &path, Some(json!({"name": "Mallory"}))).await.expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let learner = Learner::new("free").await;
    learner.enroll(FREE_COURSE).await;
    let body = json!({"lessonId": lesson(2, 1), "completed": false, "timeSpentSeconds": 100});
    let key = format!("progress-{}", learner.id);
    let first = learner.call_with_key("/progress", &key, body.clone()).await;
    first.expect_data(200);
    let again = learner.call_with_key("/progress", &key, body.clone()).await;
    assert_eq!((again.status, again.text.as_str()), (200, first.text.as_str()), "the first answer, again");
    assert_eq!(again.header("idempotent-replayed"), "true");
    let seconds = "SELECT COALESCE(sum(time_spent_seconds), 0) FROM progress WHERE user_id = :user";
    assert_eq!(count(seconds, &learner.id).await, 100, "written once");
    let other_body = json!({"lessonId": lesson(2, 1), "completed": true, "timeSpentSeconds": 100});
    learner.call_with_key("/progress", &key, other_body).await.expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    // Without a key, each request is a new report.
    learner.call("POST", "/progress", Some(body.clone())).await.expect_data(200);
    learner.call("POST", "/progress", Some(body)).await.expect_data(200);
    assert_eq!(count(seconds, &learner.id).await, 300);
    // Another user's same key is theirs alone.
    let other = Learner::new("free").await;
    let enroll = other.call_with_key("/enrollments", &key, json!({"courseId": FREE_COURSE})).await;
    let created = enroll.expect_data(201).clone();
    let replay = other.call_with_key("/enrollments", &key, json!({"courseId": FREE_COURSE})).await;
    assert_eq!(replay.expect_data(201)["enrollmentId"], created["enrollmentId"], "the first answer: 201");
    // A refused request stores nothing: fixed, it goes through under the same key.
    let fresh = Learner::new("free").await;
    let locked = json!({"lessonId": lesson(2, 1), "completed": true});
    fresh.call_with_key("/progress", "k-1", locked.clone()).await.expect_error(403, "ENROLLMENT_REQUIRED");
    fresh.enroll(FREE_COURSE).await;
    fresh.call_with_key("/progress", "k-1", locked).await.expect_data(200);
    let bad = fresh.call_with_key("/progress", &"k".repeat(300), json!({})).await;
    assert_eq!(bad.expect_error(400, "VALIDATION_ERROR")["field"], "Idempotency-Key");
}

#[tokio::test]
async fn a_resuming_database_is_retried_then_503() {
    let learner = Learner::new("free").await;
    learner.enroll(FREE_COURSE).await;
    let bearer = format!("Bearer {}", learner.token);
    let headers = [("authorization", bearer.as_str()), ("content-type", "application/json")];
    let body = json!({"lessonId": lesson(2, 1), "completed": false, "timeSpentSeconds": 10}).to_string();
    let origin = OriginFaults::take().await;
    let before = origin.stats().await["execute"].as_u64().expect("count");
    origin.inject("DatabaseResumingException", 2).await;
    let reply = origin.send("POST", "/progress", &headers, Some(&body)).await;
    assert_eq!(reply.expect_data(200)["timeSpentSeconds"], 10, "served on the third attempt");
    // Two refusals, the progress statement, and — when the isolate serving it has not seen this user yet (every
    // Spin request; a fresh Workers isolate) — the user's upsert first: each statement once.
    let calls = origin.stats().await["execute"].as_u64().expect("count") - before;
    assert!(calls == 3 || calls == 4, "two refusals, then each statement once: {calls} calls");

    origin.inject("DatabaseResumingException", 10).await;
    let reply = origin.send("POST", "/progress", &headers, Some(&body)).await;
    reply.expect_error(503, "ORIGIN_UNAVAILABLE");
    assert_eq!(reply.header("retry-after"), "10");
    origin.clear().await;
    let seconds = "SELECT COALESCE(sum(time_spent_seconds), 0) FROM progress WHERE user_id = :user";
    assert_eq!(count(seconds, &learner.id).await, 10, "the refused request wrote nothing");
}

#[tokio::test]
async fn admins_write_courses_and_lessons() {
    let admin = Learner::new("admin").await;
    let title = format!("Test Course {}", admin.id);
    let created = admin
        .call(
            "POST",
            "/courses",
            Some(json!({"title": title, "category": "finance", "durationDays": 3, "price": 0, "description": "d"})),
        )
        .await;
    let course = created.expect_data(201).clone();
    assert_eq!((course["status"].clone(), course["lessonsCount"].clone()), (json!("draft"), json!(0)));
    let id = course["id"].as_str().expect("id").to_owned();
    call_as("GET", &format!("/courses/{id}"), None, None).await.expect_error(404, "NOT_FOUND");

    let lesson_body = |day: u32| json!({"courseId": id, "day": day, "title": format!("Day {day}"), "content": "Read."});
    let day1 = admin.call("POST", "/lessons", Some(lesson_body(1))).await;
    let day1_id = day1.expect_data(201)["id"].as_str().expect("id").to_owned();
    admin.call("POST", "/lessons", Some(lesson_body(2))).await.expect_data(201);
    let taken = admin.call("POST", "/lessons", Some(lesson_body(2))).await;
    assert_eq!(taken.expect_error(409, "CONFLICT")["reason"], "day_taken");
    let beyond = admin.call("POST", "/lessons", Some(lesson_body(4))).await;
    assert_eq!(beyond.expect_error(400, "VALIDATION_ERROR")["field"], "day");
    let moved = admin.call("PUT", &format!("/lessons/{day1_id}"), Some(json!({"day": 2}))).await;
    assert_eq!(moved.expect_error(409, "CONFLICT")["reason"], "day_taken");
    let edited = admin.call("PUT", &format!("/lessons/{day1_id}"), Some(json!({"actionItems": ["Do it"]}))).await;
    assert_eq!(edited.expect_data(200)["actionItems"], json!(["Do it"]));
    let orphan = json!({"courseId": "20000000-0000-4000-8000-0000000000ff", "day": 1, "title": "Nowhere"});
    admin.call("POST", "/lessons", Some(orphan)).await.expect_error(404, "NOT_FOUND");

    // Published (and archived again) with the origin to this case alone: no other case sees a 16th course.
    let learner = Learner::new("free").await;
    let origin = OriginFaults::take().await;
    let alone = |who: &Learner, method: &'static str, path: String, body: Option<Value>| {
        let bearer = format!("Bearer {}", who.token);
        let body = body.map(|b| b.to_string());
        let origin = &origin;
        async move {
            let headers = [("authorization", bearer.as_str()), ("content-type", "application/json")];
            origin.send(method, &path, &headers, body.as_deref()).await
        }
    };
    alone(&admin, "PUT", format!("/courses/{id}"), Some(json!({"status": "published"}))).await.expect_data(200);
    let listed = origin.get("/courses?category=finance&limit=100").await;
    assert!(listed.expect_data(200)["items"].as_array().expect("items").iter().any(|c| c["id"] == id.as_str()));

    // A learner's progress keeps the lesson, and the course is archived instead of deleted.
    alone(&learner, "POST", "/enrollments".into(), Some(json!({"courseId": id}))).await.expect_data(201);
    let done = json!({"lessonId": day1_id, "completed": true, "timeSpentSeconds": 5});
    alone(&learner, "POST", "/progress".into(), Some(done)).await.expect_data(200);
    let refused = alone(&admin, "DELETE", format!("/lessons/{day1_id}"), None).await;
    assert_eq!(refused.expect_error(409, "CONFLICT")["reason"], "lesson_has_progress");
    let removed = alone(&admin, "DELETE", format!("/courses/{id}"), None).await;
    assert_eq!(removed.expect_data(200)["outcome"], "archived");
    origin.get(&format!("/courses/{id}")).await.expect_error(404, "NOT_FOUND");
    drop(origin);
    let list = learner.call("GET", "/enrollments", None).await;
    assert_eq!(list.expect_data(200)["items"][0]["course"]["id"], id.as_str(), "the learner keeps the course");

    // A course nobody took is deleted with its lessons.
    let spare = admin
        .call(
            "POST",
            "/courses",
            Some(json!({"title": format!("Spare {}", admin.id), "category": "finance", "durationDays": 1})),
        )
        .await;
    let spare_id = spare.expect_data(201)["id"].as_str().expect("id").to_owned();
    admin
        .call("POST", "/lessons", Some(json!({"courseId": spare_id, "day": 1, "title": "Only day"})))
        .await
        .expect_data(201);
    assert_eq!(
        admin.call("DELETE", &format!("/courses/{spare_id}"), None).await.expect_data(200)["outcome"],
        "deleted"
    );
    admin.call("DELETE", &format!("/courses/{spare_id}"), None).await.expect_error(404, "NOT_FOUND");
    let bad = admin
        .call("POST", "/courses", Some(json!({"title": "Valid title", "category": "astrology", "durationDays": 3})))
        .await;
    assert_eq!(bad.expect_error(400, "VALIDATION_ERROR")["field"], "category");
    let learner_try = learner
        .call("POST", "/courses", Some(json!({"title": "Mine", "category": "finance", "durationDays": 3})))
        .await;
    learner_try.expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn concurrent_requests_with_one_key_write_once() {
    let learner = Learner::new("free").await;
    learner.enroll(FREE_COURSE).await;
    let body = json!({"lessonId": lesson(2, 1), "completed": true, "timeSpentSeconds": 50});
    let key = format!("burst-{}", learner.id);
    let replies = concurrently(&learner, &key, body, 6).await;
    let first = &replies[0].text;
    for reply in &replies {
        assert_eq!((reply.status, &reply.text), (200, first), "every request gets the one answer");
    }
    assert_eq!(replies.iter().filter(|r| r.header("idempotent-replayed") == "true").count(), 5);
    let seconds = "SELECT COALESCE(sum(time_spent_seconds), 0) FROM progress WHERE user_id = :user";
    assert_eq!(count(seconds, &learner.id).await, 50, "written once");
}

/// `n` concurrent POST /progress with one key.
async fn concurrently(learner: &Learner, key: &str, body: Value, n: usize) -> Vec<Reply> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (token, key, body) = (learner.token.clone(), key.to_owned(), body.clone());
        set.spawn(async move {
            let bearer = format!("Bearer {token}");
            let headers =
                [("authorization", bearer.as_str()), ("content-type", "application/json"), ("idempotency-key", &key)];
            send("POST", &format!("{}/progress", momentum_tests::base_url()), &headers, Some(&body.to_string())).await
        });
    }
    let mut replies = Vec::with_capacity(n);
    while let Some(reply) = set.join_next().await {
        replies.push(reply.expect("request"));
    }
    replies
}

#[tokio::test]
async fn a_keyed_write_is_one_transaction_and_a_replay_writes_nothing() {
    let learner = Learner::new("free").await;
    learner.enroll(FREE_COURSE).await;
    let bearer = format!("Bearer {}", learner.token);
    let key = format!("tx-{}", learner.id);
    let headers = [("authorization", bearer.as_str()), ("content-type", "application/json"), ("idempotency-key", &key)];
    let body = json!({"lessonId": lesson(2, 1), "completed": true, "timeSpentSeconds": 7}).to_string();
    let origin = OriginFaults::take().await;
    let count = |stats: &Value, op: &str| stats[op].as_u64().expect("count");
    let delta = |before: &Value, after: &Value| {
        ["execute", "beginTransaction", "commitTransaction", "rollbackTransaction"]
            .map(|op| count(after, op) - count(before, op))
    };
    // The first request: begin; claim, write, save the answer (three statements, plus the user's upsert when this
    // isolate has not seen the user); commit.
    let before = origin.stats().await;
    origin.send("POST", "/progress", &headers, Some(&body)).await.expect_data(200);
    let [execute, begin, commit, rollback] = delta(&before, &origin.stats().await);
    assert!(
        (execute, begin, commit, rollback) == (3, 1, 1, 0) || (execute, begin, commit, rollback) == (4, 1, 1, 0),
        "{execute} {begin} {commit} {rollback}"
    );
    // The replay: begin; a claim that finds the key; rollback; the stored answer read — nothing written.
    let before = origin.stats().await;
    let replay = origin.send("POST", "/progress", &headers, Some(&body)).await;
    assert_eq!(replay.header("idempotent-replayed"), "true");
    let [execute, begin, commit, rollback] = delta(&before, &origin.stats().await);
    assert!(
        (execute, begin, commit, rollback) == (2, 1, 0, 1) || (execute, begin, commit, rollback) == (3, 1, 0, 1),
        "{execute} {begin} {commit} {rollback}"
    );
}

-- Completing a course's last lesson completes the enrollment, also when two requests complete the last two
-- lessons at once.
--
-- POST /progress completes the enrollment in its own statement (and answers `courseCompleted`), but a statement
-- reads the tables as they were when it began: two learners' devices completing a course's last two lessons at
-- the same moment would each see the other lesson still open, and neither would complete the course.
--
-- This trigger closes that gap. It runs at commit (deferred), locks the enrollment row, so that such commits take
-- turns, and then, with a fresh snapshot that sees every earlier commit, completes the enrollment when no lesson
-- of the course is left open. The completion time is the last lesson's `completed_at` (the edge's clock), never
-- before the enrollment itself. When the statement has already completed the enrollment, the trigger finds it
-- completed and does nothing.
CREATE FUNCTION complete_finished_enrollment() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    enrollment uuid;
BEGIN
    SELECT e.id INTO enrollment
      FROM enrollments e JOIN lessons l ON l.course_id = e.course_id
     WHERE l.id = NEW.lesson_id AND e.user_id = NEW.user_id AND e.completed_at IS NULL
       FOR UPDATE OF e;
    IF enrollment IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE enrollments e
       SET completed_at = GREATEST(e.enrolled_at, (
               SELECT max(p.completed_at) FROM progress p JOIN lessons x ON x.id = p.lesson_id
                WHERE p.user_id = e.user_id AND x.course_id = e.course_id))
     WHERE e.id = enrollment AND e.completed_at IS NULL
       AND NOT EXISTS (
               SELECT 1 FROM lessons x
                WHERE x.course_id = e.course_id
                  AND NOT EXISTS (SELECT 1 FROM progress p
                                   WHERE p.user_id = e.user_id AND p.lesson_id = x.id AND p.completed));
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER progress_completes_enrollment
    AFTER INSERT OR UPDATE OF completed ON progress
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.completed)
    EXECUTE FUNCTION complete_finished_enrollment();

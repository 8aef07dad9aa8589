-- The version 1 schema of HOME/history.db, kept by hand to test upgrades (tests/test_store_schema.py).
-- Do not regenerate from the code: it must stay what version 1 shipped.
CREATE TABLE "tasks" (
   "id" TEXT PRIMARY KEY,
   "title" TEXT NOT NULL,
   "prompt" TEXT NOT NULL,
   "skill" TEXT NOT NULL,
   "difficulty" INTEGER NOT NULL,
   "entry_point" TEXT NOT NULL,
   "visible_tests" TEXT,
   "hidden_tests" TEXT,
   "edge_tests" TEXT,
   "reference" TEXT,
   "constraints" TEXT,
   "source" TEXT NOT NULL,
   "source_rank" INTEGER,
   "priority" INTEGER DEFAULT 0,
   "max_attempts" INTEGER,
   "meta" TEXT,
   "status" TEXT NOT NULL DEFAULT 'queued',
   "attempts" INTEGER DEFAULT 0,
   "lease_id" TEXT,
   "leased_by" TEXT,
   "lease_expires_at" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT
);
CREATE INDEX "tasks_queue_order"
    ON "tasks" ("status", "source_rank", "priority", "created_at");
CREATE INDEX "tasks_lease"
    ON "tasks" ("lease_id");
CREATE TABLE "attempts" (
   "id" TEXT PRIMARY KEY,
   "task_id" TEXT NOT NULL REFERENCES "tasks"("id"),
   "builder" TEXT,
   "lease_id" TEXT,
   "attempt_no" INTEGER,
   "status" TEXT,
   "prompt" TEXT,
   "response" TEXT,
   "code" TEXT,
   "llm_settings" TEXT,
   "error" TEXT,
   "visible_passed" INTEGER,
   "visible_total" INTEGER,
   "repair_rounds" INTEGER,
   "tokens_in" INTEGER,
   "tokens_out" INTEGER,
   "llm_latency_s" REAL,
   "started_at" TEXT,
   "finished_at" TEXT,
   "outcome" TEXT,
   "completed_at" TEXT
);
CREATE INDEX "idx_attempts_task_id"
    ON "attempts" ("task_id");
CREATE TABLE "scores" (
   "id" TEXT PRIMARY KEY,
   "attempt_id" TEXT,
   "task_id" TEXT,
   "skill" TEXT,
   "difficulty" INTEGER,
   "correctness" REAL,
   "robustness" REAL,
   "efficiency" REAL,
   "elegance" REAL,
   "total" REAL,
   "passed" INTEGER,
   "details" TEXT,
   "created_at" TEXT
);
CREATE UNIQUE INDEX "idx_scores_attempt_id"
    ON "scores" ("attempt_id");
CREATE INDEX "idx_scores_skill_created_at"
    ON "scores" ("skill", "created_at");
CREATE TABLE "reflections" (
   "id" TEXT PRIMARY KEY,
   "attempt_id" TEXT,
   "task_id" TEXT,
   "skill" TEXT,
   "passed" INTEGER,
   "strengths" TEXT,
   "weaknesses" TEXT,
   "lesson" TEXT,
   "details" TEXT,
   "created_at" TEXT
);
CREATE TABLE "lessons" (
   "id" INTEGER PRIMARY KEY,
   "skill" TEXT,
   "text" TEXT,
   "source" TEXT,
   "created_at" TEXT
);
CREATE UNIQUE INDEX "idx_lessons_skill_text"
    ON "lessons" ("skill", "text");
CREATE TABLE "skills" (
   "name" TEXT PRIMARY KEY,
   "description" TEXT,
   "created_at" TEXT
);
CREATE TABLE "profile" (
   "id" TEXT PRIMARY KEY,
   "created_at" TEXT,
   "profile" TEXT
);
CREATE TABLE "events" (
   "id" TEXT PRIMARY KEY,
   "ts" TEXT,
   "kind" TEXT,
   "actor" TEXT,
   "body" TEXT
);
CREATE INDEX "idx_events_ts"
    ON "events" ("ts");
CREATE VIEW "queue" AS 
        SELECT id, title, skill, difficulty, source, priority, status, attempts, max_attempts,
               leased_by, lease_expires_at, created_at
        FROM tasks WHERE status IN ('queued', 'leased')
        ORDER BY status = 'leased', source_rank, priority DESC, created_at, rowid;
CREATE VIEW "latest_profile" AS 
        SELECT id, created_at, profile FROM profile ORDER BY created_at DESC, rowid DESC LIMIT 1;
PRAGMA user_version = 1;

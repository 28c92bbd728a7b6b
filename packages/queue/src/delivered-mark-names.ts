/**
 * The names a delivered commit leaves in its lane (delivered-marks.ts), apart so that the Lua of
 * lane-followers.ts, which delivered-marks.ts runs, can name them too.
 */
/** What follows a lane's key prefix in a mark's key, before the commit id. */
export const DELIVERED_MARK = 'delivered:';

/**
 * A mark's value: `2` once Kafka acknowledged the job and the followers delivered with it were
 * completed (`recordDelivered`). A job that comes back (its worker died before BullMQ completed it)
 * with a `2` is completed without being produced again: producing it again would land it after
 * the newer versions of its object among its followers, which were completed already. (Versions
 * before 2026-12 also wrote `1` as a delivery started; any mark makes a re-posted commit a
 * duplicate, and only `2` skips a produce.)
 */
export const MARK_RECORDED = '2';

/**
 * The field of an active job's hash that records its delivery, as its mark does
 * (`recordDelivered`).
 */
export const JOB_RECORDED_FIELD = 'commitlogDelivered';

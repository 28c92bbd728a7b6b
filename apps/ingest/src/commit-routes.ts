/**
 * The ingest's commit routes. One definition for the app that serves them and for the metrics
 * that export their series at 0 from the start: a route renamed in one place only would leave
 * its alerts watching a series that never moves.
 */
export const COMMIT_ROUTE = '/v1/commits';
export const BATCH_ROUTE = '/v1/commits/batch';
export const COMMIT_ROUTES = [COMMIT_ROUTE, BATCH_ROUTE] as const;

/**
 * The field of a re-driven job's hash that holds its `redrivenAt` (ISO-8601, as in its data),
 * written with the data by the re-drive (redrive.ts). What reads a lane's head reads this short
 * field: the data is the commit, up to a megabyte, which every scrape would otherwise copy to find
 * its last field (lane-backlog.ts). Jobs re-driven by versions before 2026-12-08 have none.
 * BullMQ reads a job's hash by the fields it knows, and leaves this one alone.
 */
export const REDRIVEN_AT_FIELD = 'commitlogRedrivenAt';

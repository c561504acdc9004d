/**
 * Who waits for a TDG call decides its place: a person (a new job's createJob, a manual check) or
 * nobody (the fleet's own checks: the schedule, hints, follow-ups). The workflow gives each activity
 * its task-queue priority key (1 is served first; the server's default is 3 of 5 levels), and the
 * worker's TDG rate limiter reads the same key back from the activity's info, so one number decides
 * both queues and nothing else is passed around.
 */
export const INTERACTIVE_PRIORITY = 1;
export const BACKGROUND_PRIORITY = 4;
/** The server's default key (`matching.priorityLevels` 5): a call without a key is treated as background. */
const DEFAULT_PRIORITY = 3;

export type CallClass = 'interactive' | 'background';

export function callClassOf(priorityKey: number | undefined): CallClass {
  return priorityKey !== undefined && priorityKey > 0 && priorityKey < DEFAULT_PRIORITY
    ? 'interactive'
    : 'background';
}

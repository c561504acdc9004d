/** The listener's port to Temporal: the app depends on this, the Temporal client implements it. */
import type { NotificationHint } from '../contract/definitions.js';

/**
 * - `signalled`: Temporal accepted the signal.
 * - `not-found`: no workflow with this id ever existed (retrying cannot help).
 * - `closed`: the workflow exists but has finished (nothing left to wake).
 * - `unavailable`: Temporal could not be reached or did not answer in time (retry later).
 */
export type NotifyOutcome = 'signalled' | 'not-found' | 'closed' | 'unavailable';

export interface WorkflowNotifier {
  notify(workflowId: string, hint: NotificationHint): Promise<NotifyOutcome>;
  healthy(): Promise<boolean>;
}

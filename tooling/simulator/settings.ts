/**
 * Behaviour settings switchable at run time through `PUT /_sim/settings` (faults.ts holds the
 * failure modes). They are not faults: they choose between readings of TDG's documentation where
 * the real API's behaviour is unknown (TDG documents both readings), so tests can run a client against each reading.
 */
import { ControlValidationError, knownKeysObject } from './control-object.js';

/**
 * When a job notifies its notification URL. TDG's tutorial says both "an automatic message when
 * the Job finishes" (`terminal`: once, on COMPLETED or FAILED) and "a Job state update"
 * (`changes`: on every state change).
 */
export type NotificationMode = 'changes' | 'terminal';
export const NOTIFICATION_MODES: readonly NotificationMode[] = ['changes', 'terminal'];

export function parseNotificationMode(text: string): NotificationMode | null {
  const lower = text.trim().toLowerCase();
  return NOTIFICATION_MODES.find((mode) => mode === lower) ?? null;
}

export interface Settings {
  /** The mode of jobs without a `notify=` tag, fixed when each job is created. */
  notificationMode: NotificationMode;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({ notificationMode: 'changes' });

/** Checks a partial Settings object (from options or `PUT /_sim/settings`); unknown keys are errors (typos). */
export function validateSettings(input: unknown): Partial<Settings> {
  const source = knownKeysObject(input, DEFAULT_SETTINGS, { whole: 'settings', unknownKeys: 'setting(s)' });
  const out: Partial<Settings> = {};
  const mode = source['notificationMode'];
  if (mode !== undefined) {
    const parsed = typeof mode === 'string' ? parseNotificationMode(mode) : null;
    if (parsed === null)
      throw new ControlValidationError(`notificationMode must be ${NOTIFICATION_MODES.join(' or ')}`);
    out.notificationMode = parsed;
  }
  return out;
}

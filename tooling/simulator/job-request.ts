/** Validation of the create-job body, with the specific 400 messages a client developer needs. */
import { isLoopbackHost } from '../../src/platform/url-host.js';
import { ApiError } from './http-errors.js';
import type { NotificationTarget } from './jobs.js';
import { parseScenario, ScenarioTagError, type Scenario, type ScenarioDefaults } from './scenario.js';

export interface CreateJobBody {
  name: string;
  scenario: Scenario;
  notification: NotificationTarget | null;
}

export const MAX_NAME_LENGTH = 255;
export const MAX_URL_LENGTH = 2_048;

function badRequest(message: string): never {
  throw new ApiError(400, message);
}

/** `null` counts as absent for optional fields: some serialisers write unset options that way. */
function optional(body: Record<string, unknown>, key: string): unknown {
  const value = body[key];
  return value === null ? undefined : value;
}

function parseNotificationUrl(value: unknown): string {
  if (typeof value !== 'string') badRequest('"notification_URL" must be a string');
  if (value.length > MAX_URL_LENGTH)
    badRequest(`"notification_URL" must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    badRequest(`"notification_URL" is not a valid absolute URL: ${JSON.stringify(value.slice(0, 200))}`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    badRequest(
      '"notification_URL" must use https (http is allowed only for loopback: localhost, 127.x.x.x, [::1])',
    );
  }
  return value;
}

export function parseCreateJobBody(body: unknown, defaults: ScenarioDefaults): CreateJobBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    badRequest('request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;

  const name = fields['name'];
  if (name === undefined || name === null) badRequest('"name" is required');
  if (typeof name !== 'string') badRequest('"name" must be a string');
  if (name.trim() === '') badRequest('"name" must not be empty');
  if (name.length > MAX_NAME_LENGTH)
    badRequest(`"name" must be at most ${MAX_NAME_LENGTH} characters (got ${name.length})`);

  const outputFormat = optional(fields, 'output_format');
  if (outputFormat !== undefined && outputFormat !== 'JSON') {
    badRequest('"output_format" must be "JSON" (the only supported format)');
  }

  const rawUrl = optional(fields, 'notification_URL');
  const rawMethod = optional(fields, 'notification_method');
  let notification: NotificationTarget | null = null;
  if (rawMethod !== undefined && rawMethod !== 'GET' && rawMethod !== 'POST') {
    badRequest('"notification_method" must be "GET" or "POST"');
  }
  if (rawUrl !== undefined) {
    if (rawMethod === undefined)
      badRequest('"notification_method" is required when "notification_URL" is given');
    notification = { url: parseNotificationUrl(rawUrl), method: rawMethod };
  }

  let scenario: Scenario;
  try {
    scenario = parseScenario(name, defaults);
  } catch (error) {
    if (error instanceof ScenarioTagError) badRequest(error.message);
    throw error;
  }
  return { name, scenario, notification };
}

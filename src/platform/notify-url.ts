/**
 * The signed notification URL handed to TDG. TDG does not sign its notifications, so the URL itself
 * carries proof that we issued it: an HMAC of the workflow id. The worker builds it (never the
 * workflow, so the signature stays out of history) and the listener verifies it.
 *
 * Uses node:crypto: import it from processes and activities only, never from workflow code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_HEX = /^[0-9a-fA-F]{64}$/;

/** Lower-case hex HMAC-SHA256 of the workflow id. */
export function signWorkflowId(secret: string, workflowId: string): string {
  return createHmac('sha256', secret).update(workflowId, 'utf8').digest('hex');
}

/** `{publicBaseUrl}/{workflowId}?sig={signature}`; trailing slashes of the base are ignored. */
export function buildNotificationUrl(publicBaseUrl: string, secret: string, workflowId: string): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return `${base}/${encodeURIComponent(workflowId)}?sig=${signWorkflowId(secret, workflowId)}`;
}

/**
 * True when `sig` is the signature of `workflowId` under any of `secrets` (several, so the secret can
 * be rotated without invalidating URLs of running jobs). Compares in constant time and checks every
 * secret, so timing reveals neither how much of the signature matched nor which secret did.
 */
export function verifySignature(secrets: readonly string[], workflowId: string, sig: unknown): boolean {
  if (typeof sig !== 'string' || !SIGNATURE_HEX.test(sig)) return false;
  const given = Buffer.from(sig, 'hex');
  let matched = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const expected = Buffer.from(signWorkflowId(secret, workflowId), 'hex');
    if (timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

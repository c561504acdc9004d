/**
 * Reads a notification body that fastify handed over as raw bytes. Parsing happens here, after
 * the signature check, rather than in fastify's content-type parsers: those run before the
 * handler and would answer 400/415 to callers that have not proved anything yet.
 */
import type { RawField } from './hint.js';

export type BodyReading = { ok: true; fields: RawField[] } | { ok: false; status: 400 | 415; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

function scalarFields(value: unknown): RawField[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const fields: RawField[] = [];
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (field === null || ['string', 'number', 'boolean'].includes(typeof field)) {
      fields.push([key, String(field)]);
    }
  }
  return fields;
}

function textFields(text: string): RawField[] {
  return text.trim() === '' ? [] : [['text', text]];
}

export function readBody(contentType: string | undefined, body: Buffer | undefined): BodyReading {
  // Nothing to read is never an error, whatever the declared type.
  if (body === undefined || body.length === 0) return { ok: true, fields: [] };
  const mediaType = mediaTypeOf(contentType);
  const text = utf8.decode(body);
  if (isJson(mediaType)) {
    if (text.trim() === '') return { ok: true, fields: [] };
    try {
      return { ok: true, fields: scalarFields(JSON.parse(text)) };
    } catch {
      return { ok: false, status: 400, error: 'unreadable JSON body' };
    }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return { ok: true, fields: [...new URLSearchParams(text)] };
  }
  if (mediaType === 'text/plain') return { ok: true, fields: textFields(text) };
  if (mediaType === '') {
    // An undeclared body is read as best we can: its content is only ever a display hint.
    try {
      return { ok: true, fields: scalarFields(JSON.parse(text)) };
    } catch {
      return { ok: true, fields: textFields(text) };
    }
  }
  return { ok: false, status: 415, error: 'unsupported content type' };
}

/**
 * The data converter every process uses: Temporal's JSON payloads, failures with their message and
 * stack trace encoded (failure-converter.ts), and the AES-GCM payload codec when keys are
 * configured. Clients get it loaded; the worker by path, as `Worker.create` wants it.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultPayloadConverter,
  type DataConverter,
  type LoadedDataConverter,
  type PayloadCodec,
} from '@temporalio/common';
import { failureConverter } from './failure-converter.js';
import { AesGcmPayloadCodec, type CodecKey } from './payload-codec.js';

/** failure-converter.ts beside this module (.ts under tsx, .js once compiled). */
export const FAILURE_CONVERTER_PATH = fileURLToPath(
  new URL(`./failure-converter${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/** The codec for these keys; null when none are configured (the codec is off). */
export function payloadCodecFor(keys: readonly CodecKey[] | null | undefined): AesGcmPayloadCodec | null {
  return keys && keys.length > 0 ? new AesGcmPayloadCodec(keys) : null;
}

/** For `new Client({ dataConverter })` (a loaded converter: nothing is required by path). */
export function clientDataConverter(codec: PayloadCodec | null): LoadedDataConverter {
  return {
    payloadConverter: defaultPayloadConverter,
    failureConverter,
    payloadCodecs: codec ? [codec] : [],
  };
}

/** For `Worker.create({ dataConverter })` and replay; the bundle takes the same failure converter. */
export function workerDataConverter(codec: PayloadCodec | null): DataConverter {
  return { failureConverterPath: FAILURE_CONVERTER_PATH, payloadCodecs: codec ? [codec] : [] };
}

/** For logs: whether job data is encrypted, and with which key id (never a key). */
export function describePayloadCodec(keys: readonly CodecKey[] | null | undefined): string {
  if (!keys || keys.length === 0) return 'off (payloads in plain JSON)';
  const [first, ...older] = keys;
  return `AES-256-GCM, encrypting with key "${first?.id}"${older.length > 0 ? `, decrypting also ${older.map((k) => `"${k.id}"`).join(', ')}` : ''}`;
}

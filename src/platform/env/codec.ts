/**
 * The payload codec's keys: PAYLOAD_CODEC_KEYS (`id:base64-key` entries, comma-separated, newest
 * first) or PAYLOAD_CODEC_KEYS_FILE (a mounted file with the same entries, one a line, `#`
 * comments). Neither: the codec is off and payloads are written as plain JSON. Messages name the
 * entry and what is wrong with it, never the key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CodecKeyError, parseCodecKeys, type CodecKey } from '../payload-codec.js';
import { needs, problems, readableFile, text } from './schema.js';

export const payloadCodecSection = z
  .object({ PAYLOAD_CODEC_KEYS: text.optional(), PAYLOAD_CODEC_KEYS_FILE: readableFile.optional() })
  .superRefine(
    problems((env) =>
      env.PAYLOAD_CODEC_KEYS !== undefined && env.PAYLOAD_CODEC_KEYS_FILE !== undefined
        ? 'PAYLOAD_CODEC_KEYS and PAYLOAD_CODEC_KEYS_FILE are both set: give the keys one way'
        : undefined,
    ),
    needs(),
  )
  .transform((env, ctx): readonly CodecKey[] | null => {
    const [name, source] =
      env.PAYLOAD_CODEC_KEYS_FILE !== undefined
        ? [
            `PAYLOAD_CODEC_KEYS_FILE "${env.PAYLOAD_CODEC_KEYS_FILE}"`,
            readFileSync(env.PAYLOAD_CODEC_KEYS_FILE, 'utf8'),
          ]
        : ['PAYLOAD_CODEC_KEYS', env.PAYLOAD_CODEC_KEYS];
    if (source === undefined) return null;
    try {
      return parseCodecKeys(source);
    } catch (error) {
      if (!(error instanceof CodecKeyError)) throw error;
      ctx.addIssue({ code: 'custom', message: `${name}: ${error.message}` });
      return z.NEVER;
    }
  });

export interface PayloadCodecSection {
  /** The codec's keys, newest (encrypting) first; null: the codec is off. */
  codecKeys?: readonly CodecKey[] | null;
}

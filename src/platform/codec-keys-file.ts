/**
 * Payload codec key files (PAYLOAD_CODEC_KEYS_FILE): create one on a stack's first start, or rotate
 * one, by writing a new key first and keeping the older ones after it. Written to a temporary file
 * with mode 0600 and renamed into place, so a process never reads half a file.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { generateKeyEntry, keyFileText, parseCodecKeys } from './payload-codec.js';

async function existing(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Adds a new encrypting key to `path` (created when missing). The file's old keys must be valid. */
export async function writeKeyFile(path: string, id?: string): Promise<{ keyId: string; keys: number }> {
  const previous = await existing(path);
  if (previous.trim() !== '') parseCodecKeys(previous);
  const entry = generateKeyEntry(id);
  const text = keyFileText([entry], previous);
  const keys = parseCodecKeys(text);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, text, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
  return { keyId: keys[0]?.id ?? '', keys: keys.length };
}

/** A key file at `path` unless one is there already (a stack's first start). */
export async function ensureKeyFile(path: string): Promise<{ created: boolean }> {
  if ((await existing(path)).trim() !== '') return { created: false };
  await writeKeyFile(path);
  return { created: true };
}

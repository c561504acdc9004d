/**
 * Job data encrypted before it leaves our processes: a Temporal payload codec with AES-256-GCM.
 * Temporal's server, its database and its backups (or Temporal Cloud) then hold ciphertext only.
 *
 * An encrypted payload's metadata says `encoding: binary/encrypted` and names the key it was
 * encrypted with (`encryption-key-id`); its data is iv (12 bytes) | ciphertext | GCM tag (16 bytes)
 * of the original Payload message, so the original encoding (json/plain, …) is restored on decode.
 * The key id is also the cipher's additional authenticated data: a payload whose key id was changed
 * fails to decrypt instead of being read with another key.
 *
 * Several keys may be configured, newest first: the newest encrypts, every one decrypts, so a key
 * is rotated without stopping jobs. A payload without the encrypted marker (written before the codec
 * was on, or by a client without it) passes through untouched. Key material never appears in a
 * message, a log line or `JSON.stringify` of a key: only its id does.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';
// A CommonJS module: its namespace is the default export under Node's own ESM loader.
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
/** Key ids are written into every payload's metadata (readable by the server): short, plain names. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A decryption that cannot succeed: an unknown key id, a damaged payload, the wrong key. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** A key entry that cannot be used; the message names the entry, never its key material. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/**
 * One AES-256 key and its id. The material sits in a private field: `JSON.stringify`, `util.inspect`
 * and pino show the id only.
 */
export class CodecKey {
  readonly #material: Buffer;

  constructor(
    readonly id: string,
    material: Uint8Array,
  ) {
    if (!KEY_ID_PATTERN.test(id))
      throw new CodecKeyError(
        `key id "${id.slice(0, 64)}" must be 1-64 letters, digits, dots, dashes or underscores`,
      );
    if (material.length !== KEY_BYTES)
      throw new CodecKeyError(`key "${id}" must be ${KEY_BYTES} bytes (it has ${material.length})`);
    this.#material = Buffer.from(material);
  }

  /** @internal the cipher's key; nothing else reads it. */
  material(): Buffer {
    return this.#material;
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }

  [inspect.custom](): string {
    return `CodecKey(${this.id})`;
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The key list as written in PAYLOAD_CODEC_KEYS or a key file: `id:base64-key` entries, newest
 * first, separated by commas or new lines; in a file, `#` starts a comment line. Throws a
 * CodecKeyError naming the entry (by position and id) and what is wrong with it.
 */
export function parseCodecKeys(source: string): CodecKey[] {
  const entries = source
    .split(/\r?\n/)
    .filter((line) => !line.trimStart().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new CodecKeyError('no key: give at least one "id:base64-key" entry');
  const keys: CodecKey[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    // The entry itself is never quoted: without its colon it may be a bare key.
    if (colon <= 0) throw new CodecKeyError(`${where} must be "id:base64-key" (no id found)`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id))
      throw new CodecKeyError(
        `${where}: the key id must be 1-64 letters, digits, dots, dashes or underscores`,
      );
    if (seen.has(id)) throw new CodecKeyError(`${where}: key id "${id}" is given twice`);
    seen.add(id);
    if (!BASE64.test(encoded) || encoded.length % 4 !== 0)
      throw new CodecKeyError(`${where} ("${id}"): the key must be base64 (openssl rand -base64 32)`);
    const material = Buffer.from(encoded, 'base64');
    if (material.length !== KEY_BYTES)
      throw new CodecKeyError(
        `${where} ("${id}"): the key must be ${KEY_BYTES} bytes, base64-encoded (it has ${material.length})`,
      );
    keys.push(new CodecKey(id, material));
  });
  return keys;
}

/** A fresh key entry, `id:base64-key`; the id defaults to the UTC time (`k20261206-1215`). */
export function generateKeyEntry(id: string = timeKeyId(new Date())): string {
  const key = new CodecKey(id, randomBytes(KEY_BYTES));
  return `${key.id}:${key.material().toString('base64')}`;
}

function timeKeyId(now: Date): string {
  const iso = now.toISOString(); // 2026-12-06T12:15:30.123Z
  return `k${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * A key file's text: a header comment, then the entries, newest first. `previous` (a file's old
 * text) is appended with its comments left out: a rotation keeps every older key for decryption.
 */
export function keyFileText(entries: readonly string[], previous = ''): string {
  const older = previous
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return [
    '# Payload codec keys (AES-256-GCM): one "id:base64-key" per line, newest first.',
    '# The first key encrypts; every key decrypts. Keep older keys until no history needs them.',
    ...entries,
    ...older,
    '',
  ].join('\n');
}

const isEncrypted = (payload: Payload): boolean =>
  payload.metadata?.[METADATA_ENCODING_KEY] !== undefined &&
  text.decode(payload.metadata[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;

/** The payload codec: encrypts with the first key, decrypts with whichever key a payload names. */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly encrypting: CodecKey;
  private readonly byId: ReadonlyMap<string, CodecKey>;

  constructor(keys: readonly CodecKey[]) {
    const [first] = keys;
    if (first === undefined) throw new CodecKeyError('the payload codec needs at least one key');
    this.encrypting = first;
    this.byId = new Map(keys.map((key) => [key.id, key]));
    if (this.byId.size !== keys.length) throw new CodecKeyError('the payload codec was given a key id twice');
  }

  /** The id new payloads are encrypted with. */
  get keyId(): string {
    return this.encrypting.id;
  }

  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    // Settled as a promise either way: a failure rejects, it never throws at the caller.
    return Promise.resolve().then(() => payloads.map((payload) => this.encrypt(payload)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() =>
      payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload)),
    );
  }

  private encrypt(payload: Payload): Payload {
    const key = this.encrypting;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key.material(), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(utf8.encode(key.id));
    const plain = PayloadMessage.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8.encode(key.id),
      },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (idBytes === undefined)
      throw new PayloadDecryptionError(`an encrypted payload carries no ${KEY_ID_METADATA}`);
    const id = text.decode(idBytes);
    const key = this.byId.get(id);
    if (key === undefined)
      throw new PayloadDecryptionError(
        `payload encrypted with key id "${id.slice(0, 64)}", which is not configured (configured: ${this.keyIds.join(', ')}); add that key to PAYLOAD_CODEC_KEYS or the key file`,
      );
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`payload encrypted with key id "${id}" is too short to be ours`);
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv(CIPHER, key.material(), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(idBytes);
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with key id "${id}" does not decrypt: the key configured under that id is not the one it was encrypted with, or the payload was altered`,
      );
    }
    const original = PayloadMessage.decode(plain);
    return { metadata: original.metadata, data: original.data };
  }
}

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  encodeToPayload,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import { temporal } from '@temporalio/proto';
import {
  AesGcmPayloadCodec,
  CodecKey,
  CodecKeyError,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  generateKeyEntry,
  keyFileText,
  parseCodecKeys,
} from '../src/platform/payload-codec.js';
import { clientDataConverter } from '../src/platform/data-converter.js';
import { payloadCodecSection } from '../src/platform/env/codec.js';
import { ConfigError, loadSections } from '../src/platform/env/schema.js';
import { loadClientConfig } from '../src/platform/env/temporal.js';
import { ensureKeyFile, writeKeyFile } from '../src/platform/codec-keys-file.js';

const text = new TextDecoder();
const material = (fill: number): string => Buffer.alloc(32, fill).toString('base64');
const K1 = `k1:${material(1)}`;
const K2 = `k2:${material(2)}`;
const codecOf = (source: string): AesGcmPayloadCodec => new AesGcmPayloadCodec(parseCodecKeys(source));
const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const SECRET_NAME = 'Acme Corp customer list';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSections({ keys: payloadCodecSection }, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const dir = mkdtempSync(join(tmpdir(), 'codec-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the AES-GCM payload codec', () => {
  it('round-trips a payload and stores neither its text nor its encoding in the clear', async () => {
    const codec = codecOf(K1);
    const original = json({ name: SECRET_NAME, batchList: ['54115674feafeafe'] });
    const [encrypted] = await codec.encode([original]);
    expect(text.decode(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text.decode(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    const stored = Buffer.from(temporal.api.common.v1.Payload.encode(encrypted!).finish()).toString('latin1');
    expect(stored).not.toContain(SECRET_NAME);
    expect(stored).not.toContain('54115674feafeafe');
    expect(stored).not.toContain('json/plain');
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({
      name: SECRET_NAME,
      batchList: ['54115674feafeafe'],
    });
    expect(text.decode(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('uses a fresh iv for every payload', async () => {
    const codec = codecOf(K1);
    const [a, b] = await codec.encode([json('same'), json('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes a payload without the encrypted marker through untouched', async () => {
    const plain = json({ name: SECRET_NAME });
    const [decoded] = await codecOf(K1).decode([plain]);
    expect(decoded).toBe(plain);
  });

  it('rotates: the newest key encrypts, every configured key decrypts', async () => {
    const old = codecOf(K1);
    const rotated = codecOf(`${K2},${K1}`);
    const [before] = await old.encode([json('written before the rotation')]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([before!]))[0]!)).toBe(
      'written before the rotation',
    );
    const [after] = await rotated.encode([json('after')]);
    expect(text.decode(after!.metadata![KEY_ID_METADATA])).toBe('k2');
    expect(rotated.keyId).toBe('k2');
  });

  it('names an unknown key id, and never the key material', async () => {
    const [fromK2] = await codecOf(K2).encode([json('x')]);
    const error = await codecOf(K1)
      .decode([fromK2!])
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as Error).message).toMatch(/key id "k2", which is not configured \(configured: k1\)/);
    expect((error as Error).message).not.toContain(material(1));
    expect((error as Error).message).not.toContain(material(2));
  });

  it('refuses a payload that was altered, or whose key id was changed to another configured key', async () => {
    const codec = codecOf(`${K1},${K2}`);
    const [encrypted] = await codec.encode([json('x')]);
    const altered = Buffer.from(encrypted!.data!);
    altered[20] = altered[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data: altered }])).rejects.toThrow(/does not decrypt/);
    const relabelled = {
      ...encrypted!,
      metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') },
    };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "k2" does not decrypt/);
  });

  it('encrypts failure messages and stack traces through the shared failure converter', async () => {
    const converter = clientDataConverter(codecOf(K1));
    const failure = await encodeErrorToFailure(
      converter,
      ApplicationFailure.nonRetryable(`TDG job for ${SECRET_NAME} FAILED`, 'JobFailed', {
        batchList: ['b1'],
      }),
    );
    const stored = Buffer.from(temporal.api.failure.v1.Failure.encode(failure).finish()).toString('latin1');
    expect(failure.message).toBe('Encoded failure');
    expect(stored).not.toContain(SECRET_NAME);
    const error = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(error?.message).toBe(`TDG job for ${SECRET_NAME} FAILED`);
    expect((error as ApplicationFailure).details).toEqual([{ batchList: ['b1'] }]);
  });

  it('is off without keys: payloads stay plain JSON', async () => {
    const payload = await encodeToPayload(clientDataConverter(null), { name: SECRET_NAME });
    expect(text.decode(payload.data)).toContain(SECRET_NAME);
  });
});

describe('codec keys', () => {
  it('shows a key by its id only (JSON, inspect)', () => {
    const [key] = parseCodecKeys(K1);
    expect(JSON.stringify({ key })).toBe('{"key":{"id":"k1"}}');
    expect(inspect(key)).toBe('CodecKey(k1)');
    expect(inspect(parseCodecKeys(K1), { depth: 5 })).not.toContain(material(1));
    expect(() => new CodecKey('k', Buffer.alloc(16))).toThrow(/must be 32 bytes \(it has 16\)/);
  });

  it.each([
    ['a bare key', material(1), /entry 1 must be "id:base64-key"/],
    [
      'a short key',
      `k1:${Buffer.alloc(16).toString('base64')}`,
      /entry 1 \("k1"\): the key must be 32 bytes.*it has 16/,
    ],
    ['not base64', `k1:${'*'.repeat(44)}`, /must be base64/],
    ['a bad id', `k 1:${material(1)}`, /key id must be 1-64 letters/],
    ['an id twice', `${K1},k1:${material(3)}`, /entry 2: key id "k1" is given twice/],
    ['nothing', ' , ', /no key/],
  ])('refuses %s with a message that quotes no key', (_what, source, message) => {
    const error = (() => {
      try {
        parseCodecKeys(source);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(CodecKeyError);
    expect((error as Error).message).toMatch(message);
    for (const secret of [material(1), material(3), '*'.repeat(44)])
      expect((error as Error).message).not.toContain(secret);
  });

  it('reads PAYLOAD_CODEC_KEYS or a key file through the config schema, and reports problems', () => {
    const file = join(dir, 'keys');
    writeFileSync(file, `# comment\n${K2}\n\n${K1}\n`);
    expect(loadClientConfig({ PAYLOAD_CODEC_KEYS: `${K2}, ${K1}` }).codecKeys?.map((k) => k.id)).toEqual([
      'k2',
      'k1',
    ]);
    expect(loadClientConfig({ PAYLOAD_CODEC_KEYS_FILE: file }).codecKeys?.map((k) => k.id)).toEqual([
      'k2',
      'k1',
    ]);
    expect(loadClientConfig({}).codecKeys).toBeNull();
    expect(problemsOf({ PAYLOAD_CODEC_KEYS: K1, PAYLOAD_CODEC_KEYS_FILE: file })).toEqual([
      'PAYLOAD_CODEC_KEYS and PAYLOAD_CODEC_KEYS_FILE are both set: give the keys one way',
    ]);
    expect(problemsOf({ PAYLOAD_CODEC_KEYS_FILE: join(dir, 'missing') })).toEqual([
      `PAYLOAD_CODEC_KEYS_FILE: cannot read the file "${join(dir, 'missing')}"`,
    ]);
    const short = problemsOf({ PAYLOAD_CODEC_KEYS: `k1:${material(1).slice(0, 20)}` });
    expect(short).toEqual([expect.stringMatching(/^PAYLOAD_CODEC_KEYS: entry 1 \("k1"\): the key must be/)]);
    expect(short.join()).not.toContain(material(1).slice(0, 20));
  });

  it('generates entries and key files; a rotation keeps the older keys after the new one', async () => {
    const entry = generateKeyEntry('fresh');
    expect(parseCodecKeys(entry).map((k) => k.id)).toEqual(['fresh']);
    expect(generateKeyEntry()).toMatch(/^k\d{8}-\d{6}:[A-Za-z0-9+/]{43}=$/);
    expect(parseCodecKeys(keyFileText([K2], `# old\n${K1}\n`)).map((k) => k.id)).toEqual(['k2', 'k1']);

    const file = join(dir, 'stack.keys');
    expect(await ensureKeyFile(file)).toEqual({ created: true });
    const first = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await ensureKeyFile(file)).toEqual({ created: false });
    expect(readFileSync(file, 'utf8')).toBe(first);
    const firstId = parseCodecKeys(first)[0]!.id;
    const rotated = await writeKeyFile(file, 'next');
    expect(rotated).toEqual({ keyId: 'next', keys: 2 });
    expect(parseCodecKeys(readFileSync(file, 'utf8')).map((k) => k.id)).toEqual(['next', firstId]);
  });
});

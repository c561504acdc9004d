import { describe, expect, it } from 'vitest';
import { ConfigError, loadWorkerConfig } from '../src/platform/config.js';
import { parseDuration } from '../src/platform/duration.js';

const SECRET = 's'.repeat(40);
const base = { TDG_API_KEY: 'key-123', TDG_AUTH_TOKEN: 'token-abc' };

function problems(env: Record<string, string>): string[] {
  try {
    loadWorkerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('worker configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadWorkerConfig(base);
    expect(config.temporal).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'tdg-email-append',
    });
    expect(config.tdg.baseUrl).toBe('https://api.thedatagroup.com');
    expect(config.tdg.apiVersion).toBe('v3');
    expect(config.tdg.auth).toEqual({ kind: 'static', token: 'token-abc' });
    expect(config.notify).toBeNull();
  });

  it('accepts username and password instead of a token', () => {
    const config = loadWorkerConfig({ TDG_API_KEY: 'k', TDG_USERNAME: 'u', TDG_PASSWORD: 'p' });
    expect(config.tdg.auth).toMatchObject({ kind: 'password', username: 'u', tokenTtlMs: 8 * 3_600_000 });
  });

  it('reports every problem at once, without echoing secrets', () => {
    const found = problems({
      TDG_BASE_URL: 'ftp://x',
      TDG_API_VERSION: 'three',
      NOTIFY_PUBLIC_URL: 'http://example.com/notifications',
      NOTIFY_SECRET: 'too-short-secret',
      TDG_MAX_CALLS_PER_SECOND: '-1',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/TDG_API_KEY is required/),
        expect.stringMatching(/TDG_AUTH_TOKEN, or both TDG_USERNAME and TDG_PASSWORD/),
        expect.stringMatching(/TDG_BASE_URL must be an http\(s\) URL/),
        expect.stringMatching(/TDG_API_VERSION/),
        expect.stringMatching(/NOTIFY_SECRET must be at least 32 bytes \(it has 16\)/),
        expect.stringMatching(/NOTIFY_PUBLIC_URL must use https/),
        expect.stringMatching(/TDG_MAX_CALLS_PER_SECOND/),
      ]),
    );
    expect(found.join('\n')).not.toContain('too-short-secret');
  });

  it('allows http notification URLs only on loopback', () => {
    const ok = loadWorkerConfig({
      ...base,
      NOTIFY_PUBLIC_URL: 'http://127.0.0.1:8788/notifications/',
      NOTIFY_SECRET: SECRET,
    });
    expect(ok.notify?.publicUrl).toBe('http://127.0.0.1:8788/notifications');
    expect(problems({ ...base, NOTIFY_PUBLIC_URL: 'https://hooks.example.com/n' })).toEqual([
      expect.stringMatching(/must be set together/),
    ]);
  });
});

describe('durations', () => {
  it('parses the documented units', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('1500')).toBe(1_500);
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon"/);
  });
});

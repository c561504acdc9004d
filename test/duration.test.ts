import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/contract/index.js';
import { parseDuration } from '../src/platform/duration.js';
import { formatElapsed } from '../src/cli/progress.js';

describe('the one duration format', () => {
  it('prints 90 s as 1m30s everywhere it is used', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatElapsed(90_000)).toBe('1m30s');
  });

  it('milliseconds below a second, whole seconds above, trailing zero units dropped', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(5_400)).toBe('5s');
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(3_725_000)).toBe('1h02m05s');
    expect(formatDuration(5_400_250)).toBe('1h30m');
    expect(formatDuration(7 * 86_400_000)).toBe('7d');
    expect(formatDuration(Number.NaN)).toBe('0s');
  });

  it('reads back through parseDuration', () => {
    for (const ms of [250, 1_000, 65_000, 90_000, 3_725_000, 86_400_000 + 1_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('elapsed time never runs ahead of the clock', () => {
    expect(formatElapsed(65_999)).toBe('1m05s');
    expect(formatElapsed(400)).toBe('0s');
  });
});

describe('parseDuration', () => {
  it('reads units, decimals, compounds and bare milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('90S')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(' 1500 ')).toBe(1_500);
    expect(formatDuration(5_400_250)).toBe('1h30m');
  });

  it('throws a clear error on bad text', () => {
    for (const bad of ['', 'abc', '10x', '-5s', 's', '1h 30m', '10s5']) {
      expect(() => parseDuration(bad), bad).toThrow(/invalid duration/);
    }
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon"/);
  });
});

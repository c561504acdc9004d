/**
 * The benchmark's chart, drawn as SVG by hand (no plotting dependency) and converted to PNG with
 * `rsvg-convert` (Debian package librsvg2-bin) when it is installed: detection latency (p50 dot,
 * p95 tick, bar to p99) against getJob calls per job, both on log scales, one mark per strategy.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StrategyResult } from './report.js';

const COLORS: Record<string, string> = {
  a: '#1b7837',
  b: '#5aae61',
  c: '#c2185b',
  d: '#7b3294',
};

const WIDTH = 960;
const HEIGHT = 600;
const M = { left: 90, right: 290, top: 60, bottom: 70 };

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exp = Math.floor(Math.log10(min)); exp <= Math.ceil(Math.log10(max)); exp++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** exp;
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}

/** A distinct shape per strategy, so coinciding marks stay tellable apart. */
function marker(letter: string, cx: number, cy: number, color: string): string {
  const style = `fill="${color}" stroke="#fff" stroke-width="1.5"`;
  switch (letter) {
    case 'b':
      return `<polygon points="${cx},${cy - 8} ${cx + 8},${cy} ${cx},${cy + 8} ${cx - 8},${cy}" ${style}/>`;
    case 'c':
      return `<rect x="${cx - 6.5}" y="${cy - 6.5}" width="13" height="13" ${style}/>`;
    case 'd':
      return `<polygon points="${cx},${cy - 8} ${cx + 8},${cy + 6} ${cx - 8},${cy + 6}" ${style}/>`;
    default:
      return `<circle cx="${cx}" cy="${cy}" r="7" ${style}/>`;
  }
}

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmtMs = (v: number): string => (v >= 1000 ? `${Math.round(v / 100) / 10} s` : `${v} ms`);

/** One mark: a strategy's result, optionally in a colour of its own (one strategy in several runs). */
export type ChartMark = StrategyResult & { color?: string | undefined };

export function chartSvg(results: readonly ChartMark[], title: string): string {
  const usable = results.filter((r) => Number.isFinite(r.detectionMs.p50) && r.getJobCallsPerJob.mean > 0);
  const xs = usable.map((r) => r.getJobCallsPerJob.mean);
  const ys = usable.flatMap((r) => [Math.max(1, r.detectionMs.p50), Math.max(1, r.detectionMs.p99)]);
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...xs, 1)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...xs, 10) * 1.2));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys, 10)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys, 1000) * 1.2));
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const x = (v: number): number =>
    M.left + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotW;
  const y = (v: number): number =>
    M.top +
    plotH -
    ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="30" text-anchor="middle" font-size="17" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of logTicks(xMin, xMax)) {
    out.push(`<line x1="${x(t)}" y1="${M.top}" x2="${x(t)}" y2="${M.top + plotH}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x(t)}" y="${M.top + plotH + 20}" text-anchor="middle" font-size="12">${t}</text>`);
  }
  for (const t of logTicks(yMin, yMax)) {
    out.push(`<line x1="${M.left}" y1="${y(t)}" x2="${M.left + plotW}" y2="${y(t)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end" font-size="12">${fmtMs(t)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  out.push(
    `<text x="${M.left + plotW / 2}" y="${HEIGHT - 22}" text-anchor="middle" font-size="14">getJob calls per job (mean, log scale) — fewer is better</text>`,
  );
  out.push(
    `<text transform="translate(22 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="14">detection latency (p50 dot, p95 tick, bar to p99; log) — lower is better</text>`,
  );
  // Marks whose positions (nearly) coincide are nudged sideways so each stays visible.
  const placed: { x: number; y: number }[] = [];
  let anyNudged = false;
  usable.forEach((r, i) => {
    const color = r.color ?? COLORS[r.letter] ?? '#333';
    let cx = x(r.getJobCallsPerJob.mean);
    const cy = y(r.detectionMs.p50);
    let nudged = false;
    while (placed.some((p) => Math.abs(p.x - cx) < 20 && Math.abs(p.y - cy) < 40)) {
      cx += 22;
      nudged = true;
      anyNudged = true;
    }
    placed.push({ x: cx, y: cy });
    out.push(
      `<line x1="${cx}" y1="${cy}" x2="${cx}" y2="${y(r.detectionMs.p99)}" stroke="${color}" stroke-width="3"/>`,
    );
    out.push(
      `<line x1="${cx - 7}" y1="${y(r.detectionMs.p95)}" x2="${cx + 7}" y2="${y(r.detectionMs.p95)}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(
      `<line x1="${cx - 9}" y1="${y(r.detectionMs.p99)}" x2="${cx + 9}" y2="${y(r.detectionMs.p99)}" stroke="${color}" stroke-width="3"/>`,
    );
    out.push(marker(r.letter, cx, cy, color));
    // Labels go above-left, or below-right of a nudged mark, so neighbours' labels do not collide.
    const right = nudged;
    out.push(
      `<text x="${right ? cx + 12 : cx - 12}" y="${cy + (right ? 20 : -10)}" text-anchor="${right ? 'start' : 'end'}" font-size="14" font-weight="bold" fill="${color}">(${r.letter})</text>`,
    );
    const ly = M.top + 20 + i * 62;
    const lx = M.left + plotW + 20;
    out.push(marker(r.letter, lx + 6, ly - 5, color));
    out.push(
      `<text x="${lx + 18}" y="${ly}" font-size="13" font-weight="bold" fill="${color}">(${r.letter}) ${esc(r.label)}</text>`,
    );
    out.push(
      `<text x="${lx + 18}" y="${ly + 18}" font-size="12">${r.getJobCallsPerJob.mean} calls/job, p50 ${fmtMs(Math.round(r.detectionMs.p50))}</text>`,
    );
    out.push(
      `<text x="${lx + 18}" y="${ly + 34}" font-size="12">p99 ${fmtMs(Math.round(r.detectionMs.p99))}, ${r.historyEventsPerJobHour} events per TDG job-h</text>`,
    );
  });
  if (placed.length > 0 && anyNudged) {
    out.push(
      `<text x="${M.left + plotW}" y="${HEIGHT - 6}" text-anchor="end" font-size="11" fill="#666">marks at (nearly) the same spot are nudged apart sideways</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * Writes `<base>.svg` and, when rsvg-convert is installed, the same chart as a PNG in `pngDir`
 * (default next to the SVG). The committed summaries cite the SVG: a PNG per run is tens of
 * kilobytes the repository would carry for a copy of it.
 */
export function renderChart(
  results: readonly ChartMark[],
  base: string,
  options: { title: string; pngDir?: string },
): { svg: string; png: string | null; problem: string | null } {
  const svg = `${base}.svg`;
  writeFileSync(svg, chartSvg(results, options.title));
  const png = join(options.pngDir ?? dirname(base), `${basename(base)}.png`);
  const converted = spawnSync('rsvg-convert', ['--format', 'png', '--zoom', '1.25', '--output', png, svg], {
    encoding: 'utf8',
  });
  if (converted.error || converted.status !== 0) {
    const problem = converted.error
      ? `rsvg-convert not available (apt-get install librsvg2-bin)`
      : `rsvg-convert failed: ${converted.stderr.trim()}`;
    return { svg, png: null, problem };
  }
  return { svg, png, problem: null };
}

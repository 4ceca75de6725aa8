/**
 * The benchmark's report: rows (raw node:tls against SslDuplex, median ratio and its goal), the
 * Markdown table for RESULTS.md, and an SVG bar chart of the ratios for the README.
 */
import type { Summary } from './stats';

export interface Row {
  measure: string;
  unit: string;
  raw: Summary;
  ssl: Summary;
  /** Always ssl/raw: for "lower is better" rows a ratio above the goal is the regression. */
  ratio: number;
  target: string;
  met: boolean;
  /** The goal as a number and its direction, for the chart. */
  goal: number;
  higherIsBetter: boolean;
}

export function row(
  measure: string,
  unit: string,
  pair: [Summary, Summary],
  atLeast: number | null,
  atMost: number | null,
): Row {
  const [raw, ssl] = pair;
  const ratio = ssl.median / raw.median;
  const met = (atLeast === null || ratio >= atLeast) && (atMost === null || ratio <= atMost);
  const target = atLeast !== null ? `≥ ${atLeast.toFixed(2)}` : `≤ ${atMost!.toFixed(2)}`;
  return { measure, unit, raw, ssl, ratio, target, met, goal: atLeast ?? atMost!, higherIsBetter: atLeast !== null };
}

export function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function cell(s: Summary): string {
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

export function table(rows: Row[]): string {
  const lines = [
    '| measure | unit | raw node:tls, median (min–max) | SslDuplex, median (min–max) | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.measure} | ${r.unit} | ${cell(r.raw)} | ${cell(r.ssl)} | ${r.ratio.toFixed(2)} | ${r.target} | ${r.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One horizontal bar per row: the ratio SslDuplex / raw node:tls, a line at 1.00 (parity) and a
 * tick at the row's goal; green when the goal is met. Plain SVG, no script, no external font.
 */
export function ratioChart(rows: Row[], title: string): string {
  const labelWidth = 560;
  const barWidth = 360;
  const rowHeight = 24;
  const top = 40;
  const max = Math.max(2, ...rows.map((r) => Math.ceil(r.ratio * 4) / 4));
  const x = (ratio: number): number => labelWidth + (Math.min(ratio, max) / max) * barWidth;
  const height = top + rows.length * rowHeight + 30;
  const width = labelWidth + barWidth + 70;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const colour = r.met ? '#2e7d32' : '#c62828';
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(r.measure.length > 80 ? `${r.measure.slice(0, 77)}…` : r.measure)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${(x(r.ratio) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${colour}" opacity="0.8"/>`,
      `<line x1="${x(r.goal).toFixed(1)}" x2="${x(r.goal).toFixed(1)}" y1="${y + 2}" y2="${y + rowHeight - 2}" stroke="#000" stroke-dasharray="2,2"/>`,
      `<text x="${(x(r.ratio) + 4).toFixed(1)}" y="${y + 15}">${r.ratio.toFixed(2)}${r.higherIsBetter ? '' : ' (lower is better)'}</text>`,
    );
  });
  const parity = x(1).toFixed(1);
  parts.push(
    `<line x1="${parity}" x2="${parity}" y1="${top - 4}" y2="${top + rows.length * rowHeight}" stroke="#555"/>`,
    `<text x="${parity}" y="${height - 10}" text-anchor="middle">1.00 = raw node:tls (dashed: the goal)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

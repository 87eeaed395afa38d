import type { HourBucket } from '../../../store/store.js';

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  kind: 'dispatched' | 'failed';
  /** Tooltip (SVG <title>) so every bar reads without the axis. */
  label: string;
}

export interface ChartTick {
  x: number;
  y: number;
  text: string;
}

export interface TrendChart {
  width: number;
  height: number;
  bars: ChartBar[];
  xTicks: ChartTick[];
  yTicks: ChartTick[];
  gridLines: number[];
  plotLeft: number;
  plotRight: number;
  baseline: number;
  totalDispatched: number;
  totalFailed: number;
  summary: string;
}

const WIDTH = 760;
const HEIGHT = 220;
const LEFT = 40;
const RIGHT = 10;
const TOP = 12;
const BOTTOM = 28;

/** A "nice" axis maximum (1, 2, 5 × 10^n) so gridlines land on round numbers. */
export function niceMax(value: number): number {
  if (value <= 4) return 4;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

/**
 * Geometry for the 24-hour dispatch trend, computed here so the template only
 * prints rectangles: per hour a "dispatched" bar and a "failed" bar beside it.
 */
export function buildTrendChart(hours: readonly HourBucket[]): TrendChart {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const baseline = TOP + plotHeight;
  const max = niceMax(Math.max(0, ...hours.map((h) => Math.max(h.created, h.failed))));
  const slot = plotWidth / Math.max(1, hours.length);
  const barWidth = Math.max(2, (slot - 4) / 2);
  const scale = (n: number) => (n / max) * plotHeight;
  const bars: ChartBar[] = [];
  const xTicks: ChartTick[] = [];
  hours.forEach((h, i) => {
    const x0 = LEFT + i * slot + 2;
    const hour = h.start.slice(11, 16);
    const dispatchedHeight = scale(h.created);
    const failedHeight = scale(h.failed);
    bars.push({ x: round(x0), y: round(baseline - dispatchedHeight), width: round(barWidth), height: round(dispatchedHeight), kind: 'dispatched', label: `${hour} UTC: ${h.created} dispatched` });
    bars.push({ x: round(x0 + barWidth), y: round(baseline - failedHeight), width: round(barWidth), height: round(failedHeight), kind: 'failed', label: `${hour} UTC: ${h.failed} failed` });
    if (i % 3 === 0 || i === hours.length - 1) xTicks.push({ x: round(x0 + barWidth), y: baseline + 18, text: hour });
  });
  const yTicks: ChartTick[] = [];
  const gridLines: number[] = [];
  for (let k = 0; k <= 4; k++) {
    const value = (max / 4) * k;
    const y = round(baseline - scale(value));
    gridLines.push(y);
    yTicks.push({ x: LEFT - 6, y: y + 4, text: Number.isInteger(value) ? String(value) : value.toFixed(1) });
  }
  const totalDispatched = hours.reduce((n, h) => n + h.created, 0);
  const totalFailed = hours.reduce((n, h) => n + h.failed, 0);
  return {
    width: WIDTH,
    height: HEIGHT,
    bars,
    xTicks,
    yTicks,
    gridLines,
    plotLeft: LEFT,
    plotRight: WIDTH - RIGHT,
    baseline,
    totalDispatched,
    totalFailed,
    summary: `${totalDispatched} runs dispatched and ${totalFailed} failed in the last 24 hours, per hour (UTC).`,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

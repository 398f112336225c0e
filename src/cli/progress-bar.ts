import { formatBytes } from '../core/format/format-bytes.ts';
import type { WriteStream } from 'node:tty';

/** A one-line progress bar redrawn in place on a terminal (stderr). */
export interface ProgressBar {
  /** `done`/`total` in bytes; `note` is shown after the numbers (what is being copied). */
  update(done: number, total: number, note?: string): void;
  /** Clears the bar. */
  finish(): void;
}

const WIDTH = 28;

export function createProgressBar(stream: Pick<WriteStream, 'write' | 'columns'>, options: { minIntervalMs?: number } = {}): ProgressBar {
  const interval = options.minIntervalMs ?? 100;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, note = '') {
      const now = Date.now();
      if (now - last < interval && done < total) return;
      last = now;
      stream.write(`\r\u001b[K${renderBar(done, total, note, stream.columns)}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\u001b[K');
      drawn = false;
    },
  };
}

/** `[=======>      ]  45%  230.4 MiB / 512.0 MiB  note`, cut to the terminal's width. */
export function renderBar(done: number, total: number, note: string, columns = 80): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * WIDTH);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === WIDTH ? '=' : '>') : ''}`.padEnd(WIDTH, ' ');
  const line = `[${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}${note === '' ? '' : `  ${note}`}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 1)) : line;
}


import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stderr, stdout } from 'node:process';

/** Exit codes every verb uses, so CI can gate on them. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, gateFailed: 3 } as const;

export type OutputFormat = 'text' | 'json';

export function parseOutputFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new UsageError(`--output must be text or json, not ${JSON.stringify(value)}`);
  return value;
}

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Prints a command's result: JSON for machines, the given text renderer for people. */
export function printResult<T>(format: OutputFormat, result: T, renderText: (value: T) => string): void {
  stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : `${renderText(result)}\n`);
}

/** Prints an error the way the output format asks and returns the exit code to use. */
export function reportFailure(error: unknown, json: boolean): number {
  const code = error instanceof UsageError ? ExitCode.usage : ExitCode.failure;
  const message = error instanceof Error ? error.message : String(error);
  const errorCode = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (json) {
    stdout.write(`${JSON.stringify({ error: { code: errorCode ?? 'ERROR', message } }, null, 2)}\n`);
  } else {
    stderr.write(`slipway: ${message}\n`);
  }
  return code;
}

/**
 * A report to `file` (`-o, --output-file`, Trivy's `-o`), else to stdout. Written beside it first
 * and renamed over it, so that a CI step that picks the file up never reads half a report.
 */
export async function writeReport(text: string, file: string | undefined): Promise<void> {
  if (file === undefined) {
    stdout.write(text);
    return;
  }
  const temporary = join(dirname(file), `.${randomUUID()}.slipway-report`);
  try {
    await writeFile(temporary, text);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write the report to ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * V8 options a verb runs with, applied by re-executing Node in place (`process.execve`: same pid,
 * same stdio, signals reach it directly) when the command line lacks them.
 *
 * `serve` starts with a 128 MiB initial heap. A registry's live heap is small (about 20 MiB) while
 * every upload passes gigabytes through Node's HTTP parser, which copies each body chunk into a new
 * buffer. With V8's default initial limits the old generation sits close to its limit, so V8 starts
 * a marking cycle every ~20 MiB received; measured on a 512 MiB push, that marking was a third of
 * the server's CPU time. With the larger initial heap, collections follow the buffers' own
 * pressure (one per 64 MiB) and resident memory stays where it was.
 */
const V8_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  serve: ['--initial-heap-size=128'],
};

/** Returns when the options are in place (an operator may set the same options to other values); re-executes otherwise. */
export function ensureV8Options(verb: string | undefined): void {
  const wanted = verb === undefined ? [] : (V8_OPTIONS[verb] ?? []);
  const missing = wanted.filter((option) => !process.execArgv.some((arg) => arg.split('=')[0] === option.split('=')[0]));
  if (missing.length === 0 || process.execve === undefined) return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

/**
 * V8 options a verb runs with, applied by re-executing Node in place (`process.execve`: same pid,
 * same stdio, signals reach it directly) when neither the command line nor NODE_OPTIONS sets them.
 *
 * `serve` starts with a 128 MiB initial heap and 4 MiB semi-spaces. A registry's live heap is small
 * (about 20 MiB) while every upload passes gigabytes through Node's HTTP parser, which copies each
 * body chunk into a new buffer. With V8's default initial limits the old generation sits close to
 * its limit, so V8 starts a marking cycle every ~20 MiB received; measured on a 512 MiB push, that
 * marking was a third of the server's CPU time. With the larger initial heap, collections follow
 * the buffers' own pressure. The smaller young generation is scavenged more often, so the parser's
 * dead buffers are given back sooner: peak RSS over a 512 MiB push 180 MiB instead of 199 MiB, at
 * the same CPU (bench/run.ts measures both).
 */
const V8_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  serve: ['--initial-heap-size=128', '--max-semi-space-size=4'],
};

/** Returns when the options are in place (an operator may set the same options to other values); re-executes otherwise. */
export function ensureV8Options(verb: string | undefined): void {
  const wanted = verb === undefined ? [] : (V8_OPTIONS[verb] ?? []);
  const given = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].map((arg) => arg.split('=')[0]);
  const missing = wanted.filter((option) => !given.includes(option.split('=')[0]));
  if (missing.length === 0 || process.execve === undefined) return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

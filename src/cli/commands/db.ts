import type { Command } from 'commander';
import { createVulnDb, describeSkipped, importOsv } from '../../scan/index.ts';
import { dataOptions, openLocalDatabase, type DataFlags } from '../local-database.ts';
import { parseOutputFormat, printResult } from '../output.ts';
import { table } from '../management-client.ts';

interface DbFlags extends DataFlags {
  readonly output: string;
}

const age = (ms: number | null) => (ms === null ? 'never' : `${new Date(ms).toISOString()} (${Math.max(0, Math.round((Date.now() - ms) / 3_600_000))} h ago)`);

const SKIPPED_SHOWN = 5;

/** `; skipped N: <the first few>; and M more`, or nothing when none was skipped (JSON output lists them all). */
function skippedText(skipped: readonly { readonly file: string; readonly reason: string }[]): string {
  return skipped.length === 0 ? '' : `; ${describeSkipped(skipped, SKIPPED_SHOWN)}`;
}

/** `slipway db import|status`: the vulnerability database, loaded from OSV data fully offline. */
export function registerDb(program: Command): void {
  const db = program.command('db').description('the vulnerability database: import OSV data offline, show what is loaded');
  dataOptions(
    db
      .command('import')
      .description('import OSV advisories: zip archives as osv.dev publishes them per ecosystem, JSON/YAML files, or folders of them')
      .argument('<paths...>', 'files or directories')
      .option('--output <format>', 'text or json', 'text'),
  ).action(async (paths: string[], flags: DbFlags) => {
    const format = parseOutputFormat(flags.output);
    const database = await openLocalDatabase(flags);
    try {
      const results = [];
      for (const path of paths) {
        const result = { path, ...(await importOsv(database, path)) };
        results.push(result);
        // In text, each source as it lands: when a later one fails, what went in is already said.
        const current = result.records - result.updated;
        const already = current === 0 ? '' : `, ${current} of them already current`;
        if (format === 'text') process.stdout.write(`Imported ${result.records} advisories from ${path} (${result.ecosystems.join(', ') || 'no ecosystem'})${already}${skippedText(result.skipped)}\n`);
      }
      if (format === 'json') printResult(format, results, () => '');
    } finally {
      await database.close();
    }
  });
  dataOptions(db.command('status').description('what was imported when, and how old the data is').option('--output <format>', 'text or json', 'text')).action(async (flags: DbFlags) => {
    const format = parseOutputFormat(flags.output);
    const database = await openLocalDatabase(flags);
    try {
      const status = await createVulnDb(database).status();
      printResult(format, status, (s) =>
        [
          `${s.advisories} advisories; last import ${age(s.lastImportAt)}; newest advisory modified ${age(s.newestModified)}`,
          table(['IMPORTED', 'RECORDS', 'ECOSYSTEMS', 'SOURCE'], s.imports.map((i) => [new Date(i.importedAt).toISOString(), i.records, i.ecosystems.join(','), i.source])),
        ].join('\n'),
      );
    } finally {
      await database.close();
    }
  });
}

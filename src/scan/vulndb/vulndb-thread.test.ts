import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type DatabaseConfig, type MetadataDatabase } from '../../core/storage/metadata/database.ts';
import { databaseKinds, testDatabaseConfig } from '../../testing/databases.ts';
import { sharedData } from '../../testing/shared-data.ts';
import type { Package } from '../model.ts';
import { importOsv } from './osv-import.ts';
import { openVulnDbThread } from './vulndb-thread.ts';
import { createVulnDb } from './vulndb.ts';

const npm = (name: string, version: string): Package => ({ type: 'npm', name, version, licenses: [], purl: `pkg:npm/${name}@${version}`, location: 'app/package-lock.json', foundBy: 'npm' });
const PACKAGES = [npm('lodash', '4.17.15'), npm('minimist', '1.2.0'), npm('left-pad', '1.3.0')];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-vulndb-thread-'));
});
after(() => rm(dir, { recursive: true, force: true }));

for (const kind of databaseKinds) {
  void describe(`the vulnerability database on a worker thread [${kind}]`, () => {
    let config: DatabaseConfig;
    let database: MetadataDatabase;

    before(async () => {
      config = await testDatabaseConfig(kind, dir);
      database = await openDatabase(config);
      await importOsv(database, sharedData('osv/npm'));
    });
    after(() => database.close());

    it('answers status, match and matchAll exactly as the database in this thread does', async () => {
      const here = createVulnDb(database);
      const thread = openVulnDbThread(config);
      try {
        const [status, expected] = [await thread.status(), await here.status()];
        assert.ok(status.advisories > 0);
        assert.deepEqual(status, expected);
        const findings = await thread.matchAll(PACKAGES, undefined);
        assert.deepEqual(findings, await here.matchAll(PACKAGES, undefined));
        const ids = new Set(findings.map((f) => `${f.package.name} ${f.id}`));
        assert.ok(ids.has('lodash CVE-2020-8203'), 'lodash 4.17.15 is affected by the prototype pollution in zipObjectDeep');
        assert.ok([...ids].some((id) => id.startsWith('minimist ')));
        assert.ok(![...ids].some((id) => id.startsWith('left-pad ')));
        assert.deepEqual(await thread.match(PACKAGES[0] as Package, undefined), await here.match(PACKAGES[0] as Package, undefined));
      } finally {
        await thread.close();
      }
    });

    it('stops waiting when the caller aborts, and refuses calls once closed', async () => {
      const thread = openVulnDbThread(config);
      const reason = new Error('the walk failed');
      await assert.rejects(thread.matchAll(PACKAGES, undefined, { signal: AbortSignal.abort(reason) }), reason);
      await thread.close();
      await thread.close();
      await assert.rejects(thread.status(), /the vulnerability database thread ended/);
    });
  });
}

describe('the vulnerability database thread, failing', () => {
  it("reports a database it cannot open with the database's own error name, code and message", async () => {
    const notADirectory = join(dir, 'file');
    await writeFile(notADirectory, 'not a directory');
    const thread = openVulnDbThread({ kind: 'sqlite', path: join(notADirectory, 'slipway.db') });
    try {
      await assert.rejects(thread.status(), (error: Error & { code?: string }) => {
        assert.equal(error.name, 'DatabaseError');
        assert.equal(error.code, 'CONNECT_FAILED');
        assert.match(error.message, /cannot open the SQLite database at .*file\/slipway\.db/);
        return true;
      });
    } finally {
      await thread.close();
    }
  });

  it('does not keep the process alive when its caller never closes it', async () => {
    const module = new URL('vulndb-thread.ts', import.meta.url).href;
    const script = `const { openVulnDbThread } = await import(${JSON.stringify(module)}); openVulnDbThread({ kind: 'sqlite', path: ${JSON.stringify(join(dir, 'unclosed.db'))} });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, 'the process ended by itself');
  });
});

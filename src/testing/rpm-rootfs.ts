import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { requireTool } from './tools.ts';

const exec = promisify(execFile);

/** Where the rootfs keeps its rpmdb (RHEL 9 and its rebuilds), relative to the root. */
export const RPM_DBPATH = 'var/lib/rpm';

interface Spec {
  readonly name: string;
  readonly epoch?: number;
  readonly version: string;
  readonly release: string;
  readonly buildArch: 'noarch' | 'x86_64';
  readonly license: string;
  /** `Requires:` of the main package, as Fedora's specs write them. */
  readonly requires?: readonly string[];
  /** `%package <suffix>` subpackages: binary rpms named `<name>-<suffix>` from the same source rpm. */
  readonly subpackages?: readonly { readonly suffix: string; readonly license: string; readonly provides?: readonly string[] }[];
}

const SPECS: readonly Spec[] = [
  {
    name: 'openssl',
    epoch: 1,
    version: '3.0.7',
    release: '27.el9',
    buildArch: 'x86_64',
    license: 'Apache-2.0',
    // What the real openssl requires (its sonames come from rpmbuild's dependency generator,
    // written out here as nothing is compiled): rpmbuild adds `openssl-libs(x86-64) = …` itself.
    requires: ['openssl-libs%{?_isa} = %{epoch}:%{version}-%{release}', 'libcrypto.so.3()(64bit)', '/bin/sh', 'coreutils'],
    subpackages: [{ suffix: 'libs', license: 'Apache-2.0 AND (MIT OR BSD-3-Clause)', provides: ['libcrypto.so.3()(64bit)'] }],
  },
  { name: 'tzdata', version: '2024a', release: '3.el9', buildArch: 'noarch', license: 'LicenseRef-Fedora-Public-Domain' },
  { name: 'rocky-release', epoch: 0, version: '9.3', release: '1.2.el9', buildArch: 'noarch', license: 'BSD-3-Clause' },
];

const ROCKY_OS_RELEASE = `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
`;

/**
 * A Rocky 9.3-like root filesystem under `work`: a few small packages built by the real `rpmbuild`
 * and installed by the real `rpm` into a SQLite rpmdb at `/var/lib/rpm`. Returns the root's path.
 */
export async function rpmRootfs(work: string): Promise<string> {
  const packages = await buildRpms(join(work, 'rpmbuild'));
  const rootfs = join(work, 'rootfs');
  await mkdir(join(rootfs, 'usr/lib'), { recursive: true });
  await mkdir(join(rootfs, 'etc'));
  await writeFile(join(rootfs, 'usr/lib/os-release'), ROCKY_OS_RELEASE);
  await symlink('../usr/lib/os-release', join(rootfs, 'etc/os-release'));
  await runRpm(rootfs, ['--nodeps', '--ignorearch', '-i', ...packages]);
  return rootfs;
}

/** Builds every spec in one `rpmbuild -bb` run; returns the binary rpms' paths. */
async function buildRpms(topdir: string): Promise<string[]> {
  await mkdir(join(topdir, 'SPECS'), { recursive: true });
  await mkdir(join(topdir, 'tmp'));
  const specs = SPECS.map((spec) => join(topdir, 'SPECS', `${spec.name}.spec`));
  await Promise.all(SPECS.map((spec, at) => writeFile(specs[at] ?? '', specText(spec))));
  // No brp scripts, debuginfo or unpackaged-file check: nothing here is compiled, and each costs a process.
  const defines = { _topdir: topdir, _tmppath: join(topdir, 'tmp'), __os_install_post: '%{nil}', debug_package: '%{nil}', __check_files: '%{nil}' };
  const args = Object.entries(defines).flatMap(([name, value]) => ['--define', `${name} ${value}`]);
  await exec(await requireTool('rpmbuild', 'rpm'), ['--quiet', '--noclean', ...args, '-bb', ...specs]);
  const rpms = await readdir(join(topdir, 'RPMS'), { recursive: true });
  return rpms.filter((file) => file.endsWith('.rpm')).map((file) => join(topdir, 'RPMS', file));
}

/** A spec whose every binary package owns one file, `/usr/share/slipway-test/<package>`. */
function specText(spec: Spec): string {
  const packages = [{ name: spec.name, section: '' }, ...(spec.subpackages ?? []).map(({ suffix }) => ({ name: `${spec.name}-${suffix}`, section: ` ${suffix}` }))];
  const dir = '%{buildroot}/usr/share/slipway-test';
  return [
    `Name: ${spec.name}`,
    ...(spec.epoch === undefined ? [] : [`Epoch: ${spec.epoch}`]),
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    `Summary: Slipway test package ${spec.name}`,
    `License: ${spec.license}`,
    `BuildArch: ${spec.buildArch}`,
    ...(spec.requires ?? []).map((requirement) => `Requires: ${requirement}`),
    '%description',
    'A Slipway test package.',
    ...(spec.subpackages ?? []).flatMap(({ suffix, license, provides }) => [
      `%package ${suffix}`,
      `Summary: ${spec.name} ${suffix}`,
      `License: ${license}`,
      ...(provides ?? []).map((capability) => `Provides: ${capability}`),
      `%description ${suffix}`,
      'A Slipway test subpackage.',
    ]),
    '%install',
    `mkdir -p ${dir}`,
    ...packages.map(({ name }) => `echo ${name} > ${dir}/${name}`),
    ...packages.flatMap(({ name, section }) => [`%files${section}`, `/usr/share/slipway-test/${name}`]),
    '',
  ].join('\n');
}

/** One installed package as rpm itself reports it; `epoch` is undefined when the header has none. */
export interface InstalledRpm {
  readonly name: string;
  readonly epoch: string | undefined;
  readonly version: string;
  readonly release: string;
  readonly sourceRpm: string;
  readonly arch: string;
  readonly license: string;
}

/** `%{EPOCHNUM}` prints 0 for no epoch too; the conditional tells an absent Epoch from `Epoch: 0`. */
const QUERY_FORMAT = '%{NAME}\\t%|EPOCH?{%{EPOCH}}:{}|\\t%{VERSION}\\t%{RELEASE}\\t%{SOURCERPM}\\t%{ARCH}\\t%{LICENSE}\\n';

/** `rpm -qa` on the rootfs: the oracle for what the cataloger must report. */
export async function installedRpms(rootfs: string): Promise<InstalledRpm[]> {
  const lines = (await runRpm(rootfs, ['-qa', '--qf', QUERY_FORMAT])).split('\n').filter((line) => line !== '');
  return lines.map((line) => {
    const [name = '', epoch = '', version = '', release = '', sourceRpm = '', arch = '', license = ''] = line.split('\t');
    return { name, epoch: epoch === '' ? undefined : epoch, version, release, sourceRpm, arch, license };
  });
}

export async function eraseRpm(rootfs: string, name: string): Promise<void> {
  await runRpm(rootfs, ['--nodeps', '-e', name]);
}

/**
 * `rpm -e` while another reader holds a read transaction, so rpm's closing
 * `PRAGMA wal_checkpoint = TRUNCATE` cannot copy the WAL back: the database file and its WAL as
 * a snapshot taken at that moment (the erase committed, all of it still in the WAL).
 */
export async function eraseRpmBeforeCheckpoint(rootfs: string, name: string): Promise<{ database: Buffer; wal: Buffer }> {
  const database = join(rootfs, RPM_DBPATH, 'rpmdb.sqlite');
  const reader = new DatabaseSync(database, { readOnly: true });
  let erasing: Promise<string> | undefined;
  try {
    reader.exec('BEGIN');
    const before = packageCount(reader);
    erasing = runRpm(rootfs, ['--nodeps', '-e', name]);
    void erasing.catch(() => undefined);
    await packageCountDrops(database, before);
    return { database: await readFile(database), wal: await readFile(`${database}-wal`) };
  } finally {
    reader.exec('COMMIT');
    reader.close();
    await erasing;
  }
}

/** Waits until a fresh read sees fewer packages than `before`, well within rpm's 10 s busy timeout. */
async function packageCountDrops(database: string, before: number): Promise<void> {
  const watcher = new DatabaseSync(database, { readOnly: true });
  try {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(10)) {
      if (packageCount(watcher) < before) return;
    }
    throw new Error(`rpm -e did not commit to ${database} within 5 s`);
  } finally {
    watcher.close();
  }
}

function packageCount(db: DatabaseSync): number {
  return Number(db.prepare('SELECT count(*) AS n FROM Packages').get()?.['n']);
}

/** The real rpm on the rootfs's SQLite rpmdb; its stderr (Debian's "use Alien" warning) only matters on failure. */
async function runRpm(rootfs: string, args: readonly string[]): Promise<string> {
  const rpm = await requireTool('rpm', 'rpm');
  const { stdout } = await exec(rpm, ['--root', rootfs, '--dbpath', `/${RPM_DBPATH}`, '--define', '_db_backend sqlite', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

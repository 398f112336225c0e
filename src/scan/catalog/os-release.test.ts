import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { distroFrom, parseOsRelease } from './os-release.ts';
import { sharedData } from '../../testing/shared-data.ts';

it('parses a real os-release file', () => {
  const text = readFileSync(sharedData('pkgdb/debian-bookworm-minbase/etc/os-release'), 'utf8');
  assert.deepEqual(parseOsRelease(text), { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
});

it('unquotes shell values, skips comments and applies the spec defaults', () => {
  const text = [
    '# a comment',
    'NAME="Alpine Linux"',
    "ID='alpine'",
    'VERSION_ID=3.18.5',
    'PRETTY_NAME="Alpine \\"edge\\" \\$HOME"  ',
    'not an assignment',
  ].join('\r\n');
  assert.deepEqual(parseOsRelease(text), { id: 'alpine', versionId: '3.18.5', prettyName: 'Alpine "edge" $HOME' });
  assert.deepEqual(parseOsRelease('NAME=Arch\nID=arch\nBUILD_ID=rolling\n'), { id: 'arch', versionId: '', prettyName: 'Arch' });
  assert.deepEqual(parseOsRelease('VERSION_ID=1\n'), { id: 'linux', versionId: '1', prettyName: 'Linux' });
  assert.deepEqual(parseOsRelease('ID=Fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora Linux 39 (unterminated\n'), { id: 'fedora', versionId: '39', prettyName: 'Fedora Linux 39 (unterminated' });
  assert.equal(parseOsRelease(''), undefined);
  assert.equal(parseOsRelease('\u0000\u00ff garbage without assignments'), undefined);
});

it("takes Debian's point release from etc/debian_version, only when it is one of the same release", () => {
  const bookworm = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
  assert.deepEqual(distroFrom(bookworm, '12.15\n'), { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', release: '12.15' });
  assert.equal(distroFrom(bookworm, 'trixie/sid\n')?.release, undefined);
  assert.equal(distroFrom(bookworm, '11.9\n')?.release, undefined, 'a stale file from another release');
  assert.equal(distroFrom(bookworm, undefined)?.release, undefined);
  assert.equal(distroFrom('ID=ubuntu\nVERSION_ID="22.04"\n', 'bookworm/sid\n')?.release, undefined, "Ubuntu's debian_version names Debian's release, not its own");
});

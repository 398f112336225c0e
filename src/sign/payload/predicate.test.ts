import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignError } from '../sign-error.ts';
import { attestationPredicate } from './predicate.ts';

const spdx = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'app', packages: [] }));
const cyclonedx = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }));
const refused = (pattern: RegExp) => (error: unknown) => error instanceof SignError && error.code === 'ATTESTATION_INVALID' && pattern.test(error.message);

describe('attestation predicates', () => {
  it('takes an SBOM attested as its own format, as it is', () => {
    assert.deepEqual(attestationPredicate('spdxjson', spdx), { predicateType: 'https://spdx.dev/Document', predicate: JSON.parse(spdx.toString()) });
    assert.equal(attestationPredicate('cyclonedx', cyclonedx).predicateType, 'https://cyclonedx.org/bom');
  });

  it('refuses an SBOM attested as the other format, naming the right --type', () => {
    assert.throws(() => attestationPredicate('cyclonedx', spdx), refused(/not a CycloneDX JSON document .*it is SPDX: use --type spdxjson/));
    assert.throws(() => attestationPredicate('spdxjson', cyclonedx), refused(/not an SPDX JSON document .*it is CycloneDX: use --type cyclonedx/));
    assert.throws(() => attestationPredicate('spdxjson', Buffer.from('{"hello":"world"}')), refused(/^the predicate is not an SPDX JSON document \(no spdxVersion\)$/));
  });
});

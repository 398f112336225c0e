import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventError } from './event-error.ts';
import { reduceAddress, validateWebhookPolicy } from './webhook-policy.ts';

const valid = {
  name: 'ci-notify',
  description: '',
  enabled: true,
  event_types: ['PUSH_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED'],
  targets: [{ type: 'http', address: 'https://hooks.example.com/harbor', auth_header: 'Bearer s3cr3t', skip_cert_verify: false, payload_format: 'CloudEvents' }],
};

function rejects(value: unknown, message: RegExp): void {
  assert.throws(
    () => validateWebhookPolicy(value),
    (error) => error instanceof EventError && error.code === 'POLICY_INVALID' && message.test(error.message),
  );
}

describe('validateWebhookPolicy', () => {
  it("accepts Harbor's example policy as it is", () => {
    assert.deepEqual(validateWebhookPolicy(valid), valid);
  });

  it('fills defaults, drops read-only fields and duplicate event types', () => {
    const policy = validateWebhookPolicy({
      id: 9,
      project_id: 3,
      creator: 'mallory',
      name: ' hooks ',
      event_types: ['PUSH_ARTIFACT', 'PUSH_ARTIFACT', 'TAG_RETENTION'],
      targets: [{ type: 'http', address: 'hooks.example.com:8080/in/', payload_format: '', auth_header: '', secret: 'k' }],
    });
    assert.deepEqual(policy, {
      name: 'hooks',
      description: '',
      enabled: true,
      event_types: ['PUSH_ARTIFACT', 'TAG_RETENTION'],
      targets: [{ type: 'http', address: 'http://hooks.example.com:8080/in', skip_cert_verify: false, payload_format: 'Default', secret: 'k' }],
    });
  });

  it('reduces addresses to scheme://host/path', () => {
    assert.equal(reduceAddress('https://user:pw@hooks.example.com/a/b?token=x#frag'), 'https://hooks.example.com/a/b');
    assert.equal(reduceAddress('  https://hooks.example.com/  '), 'https://hooks.example.com');
    assert.equal(reduceAddress('https://hooks.example.com/?q=1'), 'https://hooks.example.com/');
    assert.equal(reduceAddress('HOOKS.example.com'), 'http://hooks.example.com');
  });

  it("refuses what Harbor refuses, with Harbor's messages", () => {
    rejects({ ...valid, targets: [] }, /^empty notification target with policy ci-notify$/);
    rejects({ ...valid, targets: undefined }, /^empty notification target/);
    rejects({ ...valid, event_types: [] }, /^empty event type$/);
    rejects({ ...valid, event_types: ['PUSH_ARTIFACT', 'CREATE_PROJECT'] }, /^unsupported event type CREATE_PROJECT$/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], type: 'slack' }] }, /^unsupported target type slack with policy ci-notify$/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], payload_format: 'CDEvents' }] }, /^unsupported payload format type: CDEvents$/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], address: 'ftp://hooks.example.com' }] }, /^invalid scheme: ftp$/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], address: 'file:///etc/passwd' }] }, /^invalid scheme: file$/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], address: 'mailto:ops@example.com' }] }, /^invalid URL/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], address: '   ' }] }, /^empty URL$/);
    rejects({ ...valid, targets: [{ ...valid.targets[0], address: 'https://' }] }, /^(empty URL|invalid URL)/);
    rejects({ ...valid, name: '' }, /needs a name/);
    rejects({ ...valid, enabled: 'yes' }, /^enabled must be a boolean$/);
    rejects([valid], /must be a JSON object/);
  });

  it('never quotes the auth header or secret in an error', () => {
    const target = { ...valid.targets[0], auth_header: 'Bearer s3cr3t', secret: 'hush', skip_cert_verify: 'no' };
    assert.throws(
      () => validateWebhookPolicy({ ...valid, targets: [target] }),
      (error) => error instanceof EventError && !error.message.includes('s3cr3t') && !error.message.includes('hush'),
    );
  });
});

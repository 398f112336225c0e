import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { encryptPrivateKey, generateKeyPair, keyIdOf, loadPrivateKey, loadPublicKey, publicKeyPem, verificationKeyOf } from './keys.ts';
import { decodePem, encodePem } from './pem.ts';

/** `pemsigstorekey` from cosign's pkg/cosign/keys_test.go (password `hello`, scrypt N=32768, ECDSA P-256 PKCS#8). */
const COSIGN_SIGSTORE_KEY = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiI3T3VGd2VsbWZZNXVId2NoaURSc210anNwZ2ZlZjFG
Mk5lOGFDTjVLYVpZPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJQNHk4OGhCb3ZTa09MbXN0bFVBaGJwdDJ0K2xTNUxQSCJ9LCJj
aXBoZXJ0ZXh0IjoiMnB1QzdyZldJOWh3bnJlQ2s4aUZDRlVwQlRrSzRJNlIvbFBF
cnBDekpXUGpJWXl4eGVIL1A2VW52cFJHdVhla1NNb3JMdGhLamdoQ1JlNy82NDVH
QWtoVm1LRC92eEF0S2EvbE1abENSQ3FlekJGUFd1dzNpeFRtZ2xhb2J1ZFVSbUVs
bmNGOGlZbzBTMVl6Y1ZOMVFwY2J2c0dNcUlYRzVlbmdteGp5dCtBcXlyZTF0Q0Y0
V01tU1BlaEljNlBqd2h1Q2xHaVpJUWRvTGc9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----`;

/**
 * The public key of COSIGN_SIGSTORE_KEY. keys_test.go has no public key for it: this is its SPKI,
 * taken once from the decrypted PKCS#8; the signature test below checks it with node:crypto alone.
 */
const COSIGN_SIGSTORE_PUB = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7z9gA/tqa9iHt/f9F3ulyVi4lwqU
LfHWfhG2mK4eyJ8LDcLstb+VVhxj3pkMjc3fNo+sSfiIY2NLR7c+DG1V4w==
-----END PUBLIC KEY-----
`;

/** `pemcosignkey` from keys_test.go: the label cosign v2.0.0 wrote, scrypt N=32768 (password `hello`). */
const COSIGN_LABEL_KEY = `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiJ4WWdoc09JTUxUWGNOT0RsclNIOUNKc1FlOVFnZmN1
cmUrMXlLdHh1TlkwPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiI0cS9PSlVmaXJkSUkrUjZ0ajZBMmcyQ0JqL25xdFNicCJ9LCJj
aXBoZXJ0ZXh0IjoiKzB4Q3NzcFN0WStBczdKanJpOWtsbHBWd2JhcUI4ZWJNdWto
eS9aVE1MSXRsL3B1YS9jWVJvbytLRGxMWWdmOW1kSjk4K1FnQW9oTktoYnJPMTcw
MHdBY1JTMjFDOE4zQUNJRUVZaWpOMllBNnMraGJSbkhjUnd4eGhDMDFtb2FvL0dO
Y1pmbEJheXZMV3pXblo4d2NDZ2ZpT1o1VXlRTEFJMHh0dnR6dEh3cTdDV1Vhd3V4
RlhlNDZzck9TUE9SNHN6bytabWErUGovSFE9PSJ9
-----END ENCRYPTED COSIGN PRIVATE KEY-----`;

/** `pemcosigneckey` from keys_test.go: opens with `hello`, but the plaintext is SEC 1, not PKCS#8; cosign refuses it too. */
const COSIGN_SEC1_KEY = `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJHK3F5WTYrNzhNS0JzMXNGTGs1ajYwcS9kS3Z1czBW
VkhlSHZybC9POTF3PSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJRc2JGdG13WDRDK2ttV3ZCcVRaMEFGOUFYdk1jRmg1SCJ9LCJj
aXBoZXJ0ZXh0IjoiREM5T28zeldiYVQzSXYwdFVnWEdycjUxYW1samwwNlQ5MTNP
VkxPbWpuMWhnK2o2WXRUbWg3SGhZSlY1N2J5eGE0Q281bE9YYmRqbTJ3aklubEd1
Um5aZCt5OExnekpSNzFSeEhKVzgrWmRlcFJmYWJMTjdHbDgrSFZEcERVQ3NxQnRh
VngyblpGbFEwWUl1anZwbFphblNGaUVvdERLVGkxZ3VhUXIwUHNzYU01NXZxbTRY
WS9rPSJ9
-----END ENCRYPTED COSIGN PRIVATE KEY-----`;

const hello = () => Promise.resolve('hello');
const neverAsked = () => Promise.reject(new Error('the password must not be asked for'));
const LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const data = Buffer.from('{"critical":{"type":"cosign container image signature"},"optional":null}');

/** The JSON document inside a cosign key file. */
interface KeyDocument {
  readonly kdf: Record<string, unknown>;
  readonly cipher: Record<string, unknown>;
  readonly ciphertext: string;
}
const documentOf = (pem: string) => JSON.parse(decodePem(pem, [LABEL, 'ENCRYPTED COSIGN PRIVATE KEY']).der.toString('utf8')) as KeyDocument;
const withDocument = (document: unknown) => encodePem(LABEL, Buffer.from(JSON.stringify(document)));

describe('cosign key files', () => {
  it('round-trips a generated key: encrypt, load with the password, sign, verify with the public key file', async () => {
    const pair = generateKeyPair();
    const key = await loadPrivateKey(await encryptPrivateKey(pair.privateKey, 'pw'), () => Promise.resolve('pw'));
    assert.equal(key.algorithm, 'ecdsa-p256-sha256');
    assert.equal(publicKeyPem(key.publicKey), publicKeyPem(pair.publicKey));
    const verifier = loadPublicKey(publicKeyPem(pair.publicKey));
    assert.equal(verifier.keyId, keyIdOf(pair.publicKey));
    assert.ok(verifier.verify(data, key.sign(data)));
    assert.ok(!verifier.verify(Buffer.from('other'), key.sign(data)));
  });

  it('writes exactly the bytes cosign writes: PEM of 64-char lines around Go-encoded JSON, N=65536', async () => {
    const pem = await encryptPrivateKey(generateKeyPair().privateKey, '');
    assert.match(pem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n$/);
    const json = decodePem(pem, [LABEL]).der.toString('utf8');
    const shape =
      /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"([A-Za-z0-9+/]{43}=)"\},"cipher":\{"name":"nacl\/secretbox","nonce":"([A-Za-z0-9+/]{32})"\},"ciphertext":"([A-Za-z0-9+/]+={0,2})"\}$/;
    const [, salt = '', nonce = '', ciphertext = ''] = shape.exec(json) ?? assert.fail(`unexpected JSON ${json}`);
    assert.equal(Buffer.from(salt, 'base64').length, 32);
    assert.equal(Buffer.from(nonce, 'base64').length, 24);
    assert.equal(Buffer.from(ciphertext, 'base64').length, 154, '16-byte tag + 138-byte PKCS#8 P-256 key');
    assert.equal((await loadPrivateKey(pem, () => Promise.resolve(''))).algorithm, 'ecdsa-p256-sha256', 'an empty password still encrypts');
  });

  it("opens cosign's own test key with `hello`; its signatures verify with node:crypto and its public key", async () => {
    const key = await loadPrivateKey(COSIGN_SIGSTORE_KEY, hello);
    assert.equal(key.algorithm, 'ecdsa-p256-sha256');
    assert.equal(publicKeyPem(key.publicKey), COSIGN_SIGSTORE_PUB);
    const signature = key.sign(data);
    assert.ok(verify('sha256', data, createPublicKey(COSIGN_SIGSTORE_PUB), signature));
    assert.equal(signature[0], 0x30, 'an ASN.1 DER ECDSA-Sig-Value');
    const spki = createPublicKey(COSIGN_SIGSTORE_PUB).export({ type: 'spki', format: 'der' });
    assert.equal(loadPublicKey(COSIGN_SIGSTORE_PUB).keyId, createHash('sha256').update(spki).digest('base64'));
  });

  it("refuses cosign's test key with another password: KEY_PASSWORD_WRONG", async () => {
    await assert.rejects(loadPrivateKey(COSIGN_SIGSTORE_KEY, () => Promise.resolve('hellO')), { name: 'SignError', code: 'KEY_PASSWORD_WRONG' });
  });

  it('loads the older ENCRYPTED COSIGN PRIVATE KEY label with N=32768', async () => {
    assert.deepEqual(documentOf(COSIGN_LABEL_KEY).kdf['params'], { N: 32768, r: 8, p: 1 });
    const key = await loadPrivateKey(COSIGN_LABEL_KEY, hello);
    assert.ok(verificationKeyOf(key.publicKey).verify(data, key.sign(data)));
  });

  it('refuses a key file whose plaintext is not PKCS#8, as cosign does: KEY_INVALID', async () => {
    await assert.rejects(loadPrivateKey(COSIGN_SEC1_KEY, hello), { code: 'KEY_INVALID' });
  });

  it('gives KEY_PASSWORD_WRONG for a tampered ciphertext (secretbox authentication fails)', async () => {
    const document = documentOf(await encryptPrivateKey(generateKeyPair().privateKey, 'pw'));
    const ciphertext = Buffer.from(document.ciphertext, 'base64');
    ciphertext[40] = (ciphertext[40] ?? 0) ^ 1;
    const tampered = withDocument({ ...document, ciphertext: ciphertext.toString('base64') });
    await assert.rejects(loadPrivateKey(tampered, () => Promise.resolve('pw')), { code: 'KEY_PASSWORD_WRONG' });
  });

  it('refuses other KDFs, ciphers and scrypt parameters before asking for the password: KEY_INVALID', async () => {
    const document = documentOf(COSIGN_SIGSTORE_KEY);
    const { kdf, cipher } = document;
    const variants = [
      { ...document, kdf: { ...kdf, params: { N: 16384, r: 8, p: 1 } } },
      { ...document, kdf: { ...kdf, params: { N: 65536, r: 8, p: 2 } } },
      { ...document, kdf: { ...kdf, name: 'pbkdf2' } },
      { ...document, cipher: { ...cipher, name: 'aes-gcm' } },
      { ...document, cipher: { ...cipher, nonce: 'AAAA' } },
      { ...document, ciphertext: 'not base64!' },
    ];
    for (const variant of variants) await assert.rejects(loadPrivateKey(withDocument(variant), neverAsked), { code: 'KEY_INVALID' }, JSON.stringify(variant));
    await assert.rejects(loadPrivateKey(encodePem(LABEL, Buffer.from('not json')), neverAsked), { code: 'KEY_INVALID' });
  });

  it('loads unencrypted PKCS#8, SEC 1 and PKCS#1 PEM keys without asking for a password, and signs with each', async () => {
    const cases = [
      { pem: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), algorithm: 'ecdsa-p384-sha384', hash: 'sha384' },
      { pem: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), algorithm: 'rsa-pkcs1-sha256', hash: 'sha256' },
      { pem: generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey.export({ type: 'sec1', format: 'pem' }), algorithm: 'ecdsa-p521-sha512', hash: 'sha512' },
      { pem: generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs1', format: 'pem' }), algorithm: 'rsa-pkcs1-sha256', hash: 'sha256' },
      { pem: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), algorithm: 'ed25519', hash: null },
    ];
    for (const { pem, algorithm, hash } of cases) {
      const key = await loadPrivateKey(String(pem), neverAsked);
      assert.equal(key.algorithm, algorithm);
      const signature = key.sign(data);
      assert.ok(verify(hash, data, key.publicKey, signature), `${algorithm} verifies with node:crypto`);
      assert.ok(loadPublicKey(publicKeyPem(key.publicKey)).verify(data, signature), `${algorithm} verifies with its public key file`);
    }
  });

  it('refuses other curves, RSA sizes and key types: KEY_INVALID', async () => {
    const p224 = generateKeyPairSync('ec', { namedCurve: 'P-224' });
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ed448 = generateKeyPairSync('ed448');
    for (const pair of [p224, rsa1024, ed448]) {
      await assert.rejects(loadPrivateKey(String(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })), neverAsked), { code: 'KEY_INVALID' });
      assert.throws(() => loadPublicKey(publicKeyPem(pair.publicKey)), { code: 'KEY_INVALID' });
      await assert.rejects(encryptPrivateKey(pair.privateKey, 'pw'), { code: 'KEY_INVALID' });
    }
  });

  it('refuses unknown PEM labels and text without PEM: KEY_INVALID', async () => {
    const pgp = '-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n\nlQOsBGGTOVkBCACbhVqC\n-----END PGP PRIVATE KEY BLOCK-----\n';
    await assert.rejects(loadPrivateKey(pgp, neverAsked), { code: 'KEY_INVALID', message: /unsupported pem type: PGP PRIVATE KEY BLOCK/ });
    await assert.rejects(loadPrivateKey(COSIGN_SIGSTORE_PUB, neverAsked), { code: 'KEY_INVALID', message: /^this is a public key \(PUBLIC KEY\): signing takes the private key/ });
    await assert.rejects(loadPrivateKey('no key here', neverAsked), { code: 'KEY_INVALID' });
    assert.throws(() => loadPublicKey(COSIGN_SIGSTORE_KEY), { code: 'KEY_INVALID', message: /^this is a private key \(ENCRYPTED SIGSTORE PRIVATE KEY\): verifying takes the public key/ });
  });

  it('verify returns false for garbage signatures, never throws', () => {
    for (const pair of [generateKeyPair(), generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ed25519')]) {
      const verifier = verificationKeyOf(pair.publicKey);
      for (const garbage of [Buffer.alloc(0), randomBytes(7), randomBytes(64), randomBytes(256), Buffer.from([0x30, 0x82, 0xff, 0xff])]) {
        assert.equal(verifier.verify(data, garbage), false);
      }
    }
  });

  it('keyIdOf is base64 SHA-256 of the SPKI DER, the same for the private key', () => {
    const pair = generateKeyPair();
    const expected = createHash('sha256').update(pair.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    assert.equal(keyIdOf(pair.publicKey), expected);
    assert.equal(keyIdOf(pair.privateKey), expected);
    assert.match(expected, /^[A-Za-z0-9+/]{43}=$/);
  });
});

'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { DirStorage, S3Storage, createStorage, makeKey, validKey, safeName } = require('../src/storage');
const { tmpDir } = require('./helpers');

test('storage: keys are unique, safe, and keep the file name', () => {
  const a = makeKey('report 2024.pdf');
  const b = makeKey('report 2024.pdf');
  assert.notEqual(a, b);
  assert.match(a, /^[a-z0-9]+-[0-9a-f]{12}-report_2024\.pdf$/);
  assert.ok(validKey(a));
  assert.equal(safeName('../../etc/passwd'), 'passwd');
  assert.equal(safeName('..'), 'upload.bin');
  assert.equal(safeName(undefined), 'upload.bin');
  assert.equal(safeName('.hidden'), 'hidden');
  for (const bad of ['../x', '.x', 'a/b', '', 'a\\b', 'x'.repeat(201), 'a..b']) assert.equal(validKey(bad), false, bad);
});

test('storage: local directory round trip, atomic write, missing key', async () => {
  const dir = tmpDir();
  const s = createStorage({ backend: 'nfs', dir });
  assert.ok(s instanceof DirStorage);
  assert.equal(s.backend, 'nfs');
  await s.check();
  const data = Buffer.from([0, 1, 2, 255, 254]);
  const key = makeKey('bin.dat');
  assert.deepEqual(await s.put(key, data), { key, size: 5 });
  assert.deepEqual(await s.get(key), data);
  assert.deepEqual(fs.readdirSync(dir), [key], 'no temporary file left behind');
  assert.equal(await s.get(makeKey('missing')), null);
  await assert.rejects(s.get('../etc/passwd'), (e) => e.status === 400);
  await assert.rejects(s.put('../x', data), (e) => e.status === 400);
});

test('storage: another instance on the same directory (another node) sees the file', async () => {
  const dir = tmpDir();
  const key = makeKey('shared.txt');
  await new DirStorage(dir).put(key, Buffer.from('hello'));
  assert.equal((await new DirStorage(dir).get(key)).toString(), 'hello');
});

test('storage: check() fails for a missing or non-directory UPLOADS_DIR', async () => {
  const dir = tmpDir();
  await assert.rejects(new DirStorage(path.join(dir, 'nope')).check(), /ENOENT/);
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, '');
  await assert.rejects(new DirStorage(file).check(), /not a directory/);
});

test('storage: S3 backend sends path-style requests to the configured endpoint', async () => {
  const s = new S3Storage({ endpoint: 'http://seaweed:8333', bucket: 'uploads', accessKeyId: 'ak', secretAccessKey: 'sk', region: 'us-east-1' });
  const sent = [];
  s.client.send = async (cmd) => {
    sent.push(cmd);
    if (cmd.constructor.name === 'GetObjectCommand') {
      if (cmd.input.Key.endsWith('missing')) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: { transformToByteArray: async () => new Uint8Array([104, 105]) } };
    }
    return {};
  };
  assert.equal(await s.client.config.forcePathStyle, true);
  const endpoint = await s.client.config.endpoint();
  assert.equal(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`, 'http://seaweed:8333');
  const key = makeKey('a.txt');
  assert.deepEqual(await s.put(key, Buffer.from('hi')), { key, size: 2 });
  assert.equal((await s.get(key)).toString(), 'hi');
  assert.equal(await s.get(makeKey('missing')), null);
  await s.check();
  assert.deepEqual(sent.map((c) => [c.constructor.name, c.input.Bucket]), [
    ['PutObjectCommand', 'uploads'], ['GetObjectCommand', 'uploads'], ['GetObjectCommand', 'uploads'], ['HeadBucketCommand', 'uploads'],
  ]);
  await s.close();
});

'use strict';
// Upload storage, chosen by STORAGE_BACKEND:
//   s3     an S3 API (SeaweedFS, MinIO, AWS): path-style, S3_ENDPOINT
//   nfs    UPLOADS_DIR on a directory every app node mounts (shared)
//   local  UPLOADS_DIR on this node only (one app node, or tests)
// Every backend offers put(key, buffer), get(key) → Buffer | null,
// check() (readiness) and close().

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function safeName(name) {
  const base = path.basename(String(name || '')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  return (base || 'upload.bin').slice(0, 100);
}

// Unique across nodes and workers: time, random bytes, then the file name.
function makeKey(name) {
  return `${Date.now().toString(36)}-${crypto.randomBytes(6).toString('hex')}-${safeName(name)}`;
}

function validKey(key) {
  return typeof key === 'string' && KEY_RE.test(key) && !key.includes('..');
}

class DirStorage {
  constructor(dir, backend = 'local') {
    this.dir = dir;
    this.backend = backend;
  }

  _path(key) {
    if (!validKey(key)) throw Object.assign(new Error('invalid key'), { status: 400 });
    return path.join(this.dir, key);
  }

  async put(key, buf) {
    const final = this._path(key);
    // Write then rename, so another node never reads a half-written file.
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}-${key}`);
    try {
      await fs.promises.writeFile(tmp, buf, { flag: 'wx' });
      await fs.promises.rename(tmp, final);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    return { key, size: buf.length };
  }

  async get(key) {
    try {
      return await fs.promises.readFile(this._path(key));
    } catch (err) {
      if (err.code === 'ENOENT') return null;
      throw err;
    }
  }

  async check() {
    const st = await fs.promises.stat(this.dir);
    if (!st.isDirectory()) throw new Error(`${this.dir} is not a directory`);
    await fs.promises.access(this.dir, fs.constants.W_OK);
  }

  async close() {}
}

class S3Storage {
  constructor(cfg, sdk = require('@aws-sdk/client-s3')) {
    this.backend = 's3';
    this.sdk = sdk;
    this.bucket = cfg.bucket;
    this.client = new sdk.S3Client({
      region: cfg.region,
      endpoint: cfg.endpoint,
      forcePathStyle: cfg.forcePathStyle !== false,
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
      // S3-compatible servers (SeaweedFS, older MinIO) reject the CRC
      // checksums the SDK sends by default since 3.729.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  async put(key, buf) {
    if (!validKey(key)) throw Object.assign(new Error('invalid key'), { status: 400 });
    await this.client.send(new this.sdk.PutObjectCommand({
      Bucket: this.bucket, Key: key, Body: buf, ContentLength: buf.length, ContentType: 'application/octet-stream',
    }));
    return { key, size: buf.length };
  }

  async get(key) {
    if (!validKey(key)) throw Object.assign(new Error('invalid key'), { status: 400 });
    try {
      const out = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (err) {
      if (err.name === 'NoSuchKey' || err.name === 'NotFound' || (err.$metadata && err.$metadata.httpStatusCode === 404)) return null;
      throw err;
    }
  }

  async check() {
    await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.bucket }));
  }

  async close() {
    this.client.destroy();
  }
}

function createStorage(cfg) {
  if (cfg.backend === 's3') return new S3Storage(cfg);
  return new DirStorage(cfg.dir, cfg.backend);
}

module.exports = { createStorage, DirStorage, S3Storage, makeKey, validKey, safeName };

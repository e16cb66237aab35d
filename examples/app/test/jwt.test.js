'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const jsonwebtoken = require('jsonwebtoken');
const { signToken, verifyToken, bearer } = require('../src/jwt');
const { SECRET } = require('./helpers');

test('jwt: a token signed with the shared secret verifies (any node)', () => {
  const token = signToken('alice', SECRET);
  assert.equal(jsonwebtoken.decode(token, { complete: true }).header.alg, 'HS256');
  assert.equal(verifyToken(token, SECRET), 'alice');
});

test('jwt: a different secret, an expired token or alg "none" is refused', () => {
  const token = signToken('alice', SECRET);
  assert.throws(() => verifyToken(token, 'another-secret-0123456789'), /invalid signature/);
  const expired = signToken('alice', SECRET, { expiresIn: -10 });
  assert.throws(() => verifyToken(expired, SECRET), /expired/);
  const none = jsonwebtoken.sign({ sub: 'alice', iss: 'webstack-app' }, null, { algorithm: 'none' });
  assert.throws(() => verifyToken(none, SECRET));
  const hs512 = jsonwebtoken.sign({ sub: 'alice', iss: 'webstack-app' }, SECRET, { algorithm: 'HS512' });
  assert.throws(() => verifyToken(hs512, SECRET), /invalid algorithm/);
});

test('jwt: bearer() reads the Authorization header', () => {
  assert.equal(bearer({ headers: { authorization: 'Bearer abc.def.ghi' } }), 'abc.def.ghi');
  assert.equal(bearer({ headers: { authorization: 'bearer x' } }), 'x');
  assert.equal(bearer({ headers: { authorization: 'Basic x' } }), null);
  assert.equal(bearer({ headers: {} }), null);
});

'use strict';
// Stateless auth: HS256 tokens signed with JWT_SECRET. Every node has the
// same secret, so a token issued by one node verifies on any other.

const jwt = require('jsonwebtoken');

const ALGORITHM = 'HS256';
const ISSUER = 'webstack-app';

function signToken(user, secret, { expiresIn = '1h' } = {}) {
  return jwt.sign({}, secret, { algorithm: ALGORITHM, subject: String(user), issuer: ISSUER, expiresIn });
}

// Returns the user, or throws (bad signature, expired, wrong algorithm).
function verifyToken(token, secret) {
  const claims = jwt.verify(token, secret, { algorithms: [ALGORITHM], issuer: ISSUER });
  return claims.sub;
}

function bearer(req) {
  const h = req.headers.authorization || '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : null;
}

module.exports = { signToken, verifyToken, bearer, ALGORITHM };

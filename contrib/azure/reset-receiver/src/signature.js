'use strict';
const crypto = require('node:crypto');

const HEADER_RE = /^sha256=([0-9a-fA-F]{64})$/;

/** sign(secret, rawBody) -> the X-Latchwatch-Signature value latchwatch sends. */
function sign(secret, rawBody) {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** True when header is sha256=<hex HMAC-SHA256(secret, raw body)> for one of the secrets (constant-time compare). */
function verify(secrets, header, rawBody) {
  const m = HEADER_RE.exec(String(header || '').trim());
  if (!m) return false;
  const given = Buffer.from(m[1].toLowerCase(), 'hex');
  let ok = false;
  for (const secret of secrets) {
    const want = crypto.createHmac('sha256', secret).update(rawBody).digest();
    // both are 32 bytes; timingSafeEqual on every secret, no early exit
    if (crypto.timingSafeEqual(given, want)) ok = true;
  }
  return ok;
}

module.exports = { sign, verify };

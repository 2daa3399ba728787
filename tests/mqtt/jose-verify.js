// SPDX-License-Identifier: GPL-2.0-or-later
// Verifies compact JWS tokens with node's `jose` (panva/jose, Debian's
// node-jose), an implementation independent of ours, given only a public JWK.
// usage: NODE_PATH=/usr/share/nodejs node jose-verify.js JWK_FILE < TOKENS
// One token per input line; one output line each: "ok TYP PAYLOAD" or
// "fail REASON". Exit 0 when every token verified, 1 otherwise.
'use strict';
const fs = require('fs');
const { compactVerify, importJWK } = require('jose');

async function main() {
  const jwk = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const key = await importJWK(jwk, 'EdDSA');
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
  let bad = 0;
  for (const token of lines) {
    try {
      const { payload, protectedHeader } = await compactVerify(token, key, {
        algorithms: ['EdDSA'],
      });
      if (protectedHeader.kid !== jwk.kid) throw new Error('kid ' + protectedHeader.kid);
      console.log('ok ' + protectedHeader.typ + ' ' + new TextDecoder().decode(payload));
    } catch (e) {
      bad++;
      console.log('fail ' + (e.code || e.message));
    }
  }
  process.exit(bad ? 1 : 0);
}
main().catch((e) => { console.error(e); process.exit(2); });

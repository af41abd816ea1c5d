'use strict';
// Pieces that run in the Functions host: the registration file loads, the file store is append-only.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FileStore } = require('../src/store');
const { loadConfig } = require('../src/config');

test('src/functions/receiver.js registers with @azure/functions without touching the network or config', () => {
  const { app } = require('@azure/functions');
  const seen = [];
  const orig = { http: app.http, timer: app.timer };
  const handlers = {};
  app.http = (name, o) => { handlers[name] = o.handler; seen.push(['http', name, o.methods.join(','), o.authLevel]); };
  app.timer = (name, o) => seen.push(['timer', name, o.schedule]);
  try {
    require('../src/functions/receiver.js');
  } finally {
    Object.assign(app, orig);
  }
  assert.deepEqual(seen, [
    ['http', 'ticket', 'POST', 'function'],
    ['http', 'approval', 'GET,POST', 'anonymous'],
    ['timer', 'confirm', '0 */5 * * * *'],
  ]);
  return (async () => {
    // GET on the approval link only renders a form (mail and chat link scanners prefetch GETs); no config is read
    const page = await handlers.approval({ method: 'GET', query: new URLSearchParams('token=abc%22%3E&decision=approve') });
    assert.equal(page.status, 200);
    assert.match(page.body, /<form method="post" action="approval\?token=abc%22%3E&amp;decision=approve">/);
  })();
});

test('FileStore appends JSON lines and reads them back after a restart', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-store-'));
  const file = path.join(dir, 'sub', 'records.jsonl');
  const a = new FileStore(file);
  a.append({ kind: 'delivery', delivery: 'x' });
  a.append({ kind: 'refused' });
  const b = new FileStore(file);
  assert.deepEqual(b.all().map((r) => [r.seq, r.kind]), [[1, 'delivery'], [2, 'refused']]);
  b.append({ kind: 'third' });
  assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 3);
  assert.throws(() => { b.all()[0].kind = 'changed'; });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('configuration: ARM endpoint per cloud, https only, a scope is required', () => {
  const base = { LATCHWATCH_WEBHOOK_SECRET: 's', ALLOWED_SCOPES: '/subscriptions/0b6f2c1e-4d1a-4c39-9a57-2f1d3e8c7a10' };
  assert.equal(loadConfig(base).armEndpoint, 'https://management.azure.com');
  assert.equal(loadConfig({ ...base, AZURE_CLOUD: 'AzureUSGovernmentCloud' }).armEndpoint, 'https://management.usgovcloudapi.net');
  assert.equal(loadConfig({ ...base, AZURE_CLOUD: 'AzureChinaCloud' }).armAudience, 'https://management.chinacloudapi.cn/.default');
  assert.equal(loadConfig({ ...base, ARM_ENDPOINT: 'https://management.azure.com/' }).armEndpoint, 'https://management.azure.com');
  assert.throws(() => loadConfig({ ...base, ARM_ENDPOINT: 'http://127.0.0.1:1' }), /https/);
  assert.throws(() => loadConfig({ ...base, ALLOWED_SCOPES: '' }), /scope/);
  assert.throws(() => loadConfig({ ...base, ALLOWED_SCOPES: '/subscriptions/x/resourceGroups/..' }), /ALLOWED_SCOPES/);
  assert.throws(() => loadConfig({ ALLOWED_SCOPES: base.ALLOWED_SCOPES }), /SECRET/);
});

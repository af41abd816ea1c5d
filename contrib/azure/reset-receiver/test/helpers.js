'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { SpecServer } = require('./spec-server');
const { Arm } = require('../src/arm');
const { MemoryStore } = require('../src/store');
const { Receiver } = require('../src/receiver');
const { loadConfig } = require('../src/config');
const { sign } = require('../src/signature');

const FIX = path.join(__dirname, 'fixtures');
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(FIX, name), 'utf8'));
const SUB = '0b6f2c1e-4d1a-4c39-9a57-2f1d3e8c7a10';
const SECRET = 'test-secret-not-a-real-one-0123456789';
const IDS = {
  vm: `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-01`,
  flex: `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/flex-pool_a1b2c3d4`,
  uniform: `/subscriptions/${SUB}/resourceGroups/rg-pool/providers/Microsoft.Compute/virtualMachineScaleSets/pool-a/virtualMachines/7`,
};

// A self-signed certificate for 127.0.0.1, made per test run (nothing secret is committed).
let tlsCache = null;
function testTls() {
  if (tlsCache) return tlsCache;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-receiver-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  tlsCache = { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  fs.rmSync(dir, { recursive: true, force: true });
  return tlsCache;
}

// No AAD here: a static TokenCredential that records the scopes it was asked for.
function staticCredential() {
  const scopes = [];
  return {
    scopes,
    async getToken(s) {
      scopes.push(...(Array.isArray(s) ? s : [s]));
      return { token: 'test-token', expiresOnTimestamp: Date.now() + 3600 * 1000 };
    },
  };
}

async function setup({ policy, env = {}, now = '2026-07-22T10:30:00Z' } = {}) {
  const tls = testTls();
  const server = await new SpecServer(tls).start();
  server.addResource(fixture('vm-web-01.json'), fixture('vm-web-01.instanceView.json'));
  server.addResource(fixture('vm-flex-03.json'), fixture('vm-flex-03.instanceView.json'));
  server.addResource(fixture('vmss-pool-a-7.json'), fixture('vmss-pool-a-7.instanceView.json'));
  server.activity = fixture('activity-log.json').value;
  const config = loadConfig({
    LATCHWATCH_WEBHOOK_SECRET: SECRET,
    ALLOWED_SCOPES: `/subscriptions/${SUB}/resourceGroups/rg-web,/subscriptions/${SUB}/resourceGroups/rg-pool`,
    ARM_ENDPOINT: server.endpoint,
    RECEIVER_PUBLIC_URL: 'https://receiver.example.invalid',
    POLICY_JSON: JSON.stringify(policy || { version: 1, auto_approve: [] }),
    ...env,
  });
  const credential = staticCredential();
  const arm = new Arm({ endpoint: config.armEndpoint, audience: config.armAudience, credential, tlsOptions: { ca: tls.cert } });
  const store = new MemoryStore();
  const notes = [];
  const clock = { t: new Date(now) };
  const receiver = new Receiver({ config, arm, store, notify: async (m) => { notes.push(m); }, now: () => new Date(clock.t) });
  return { server, receiver, store, notes, clock, credential, config };
}

function ticketFor(kind, over = {}) {
  const base = {
    vm: { resource_id: IDS.vm, resource_kind: 'virtual_machine', current_key_incarnation_id: 3, next_key_incarnation_id: 4,
      vm_id: '5c0d55a7-c407-4ed6-bf7d-ddb810267c85', host: 'web-01' },
    flex: { resource_id: IDS.flex, resource_kind: 'flexible_member', current_key_incarnation_id: 11, next_key_incarnation_id: 12,
      vm_id: '8e1b9a42-3f0d-4c55-a1e2-7d9c0b6a5f31', host: 'flex-pool-a1b2c3d4' },
    uniform: { resource_id: IDS.uniform, resource_kind: 'uniform_instance', current_key_incarnation_id: 5, next_key_incarnation_id: 6,
      vm_id: '42af9fdf-b906-4ad7-9905-8316209ff619', host: 'pool-a000007' },
  }[kind];
  return { ticket_version: 1, ...base, cloud: 'AzurePublicCloud', verdict: 'key_lost', smbios_uuid: null,
    report_time: '2026-07-22T10:21:05Z', delivery_id: null, ...over };
}

/** A signed webhook delivery (plain JSON report) -> { headers, rawBody } */
function webhook(ticket, { deliveryId = crypto.randomUUID(), transition = 'fired', secret = SECRET, extra = {} } = {}) {
  const report = { schema_version: 1, verdict: { code: ticket ? ticket.verdict : 'healthy' }, transition,
    identity: { resource_id: ticket ? ticket.resource_id : null }, ...extra };
  if (ticket) report.reset_ticket = { ...ticket, delivery_id: deliveryId };
  const rawBody = Buffer.from(JSON.stringify(report));
  return { deliveryId, headers: { 'content-type': 'application/json', 'x-latchwatch-delivery': deliveryId,
    'x-latchwatch-signature': sign(secret, rawBody) }, rawBody };
}

/** A signed CloudEvents structured delivery -> { headers, rawBody } */
function cloudevent(ticket, { deliveryId = crypto.randomUUID(), type = 'com.latchwatch.verdict.fired', source, extra = {} } = {}) {
  const data = { schema_version: 1, verdict: { code: ticket ? ticket.verdict : 'healthy' },
    identity: { resource_id: ticket ? ticket.resource_id : source }, ...extra };
  if (ticket) data.reset_ticket = { ...ticket, delivery_id: deliveryId };
  const ev = { specversion: '1.0', id: deliveryId, source: source || (ticket && ticket.resource_id) || 'latchwatch://web-01',
    type, subject: ticket ? ticket.verdict : 'healthy', time: '2026-07-22T10:21:05Z', datacontenttype: 'application/json', data };
  const rawBody = Buffer.from(JSON.stringify(ev));
  return { deliveryId, headers: { 'content-type': 'application/cloudevents+json; charset=utf-8',
    'x-latchwatch-delivery': deliveryId, 'x-latchwatch-signature': sign(SECRET, rawBody) }, rawBody };
}

function tokenFrom(url) { return new URL(url).searchParams.get('token'); }

module.exports = { setup, ticketFor, webhook, cloudevent, fixture, tokenFrom, IDS, SUB, SECRET, testTls, staticCredential };

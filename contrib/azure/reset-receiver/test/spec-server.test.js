'use strict';
// The loopback server itself follows the Compute REST spec: these tests pin the behaviour the receiver's tests rely on.
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, IDS, fixture } = require('./helpers');
const { Arm } = require('../src/arm');
const { gpaFromInstanceView } = require('../src/gpa');

async function withArm(fn) {
  const ctx = await setup();
  const arm = new Arm({ endpoint: ctx.server.endpoint, credential: ctx.credential, tlsOptions: { ca: require('./helpers').testTls().cert } });
  try { await fn({ ...ctx, arm }); } finally { await ctx.server.stop(); }
}

test('scale-set VM: PATCH is not a method of the resource (405), GET/PUT are', () => withArm(async ({ arm }) => {
  const r = await arm.patchKeyIncarnation(IDS.uniform, 6);
  assert.equal(r.status, 405);
  assert.match(r.body.message, /does not support http method 'PATCH'/);
  assert.equal((await arm.getModel(IDS.uniform)).status, 200);
}));

test('api-version is required; an unknown one is refused', () => withArm(async ({ arm }) => {
  const none = await arm.send('GET', `${arm.endpoint}${IDS.vm}`);
  assert.equal(none.status, 400);
  assert.equal(none.body.error.code, 'MissingApiVersionParameter');
  const old = await arm.send('GET', `${arm.endpoint}${IDS.vm}?api-version=2019-07-01`);
  assert.equal(old.status, 400);
}));

test('keyIncarnationId: increment only, int32', () => withArm(async ({ arm, server }) => {
  for (const v of [3, 2, 2147483648, 4.5, '5']) {
    const r = await arm.patchKeyIncarnation(IDS.vm, v);
    assert.equal(r.status, 400, String(v));
  }
  assert.equal((await arm.patchKeyIncarnation(IDS.vm, 2147483647)).status, 200);
  assert.equal(server.model(IDS.vm).properties.securityProfile.proxyAgentSettings.keyIncarnationId, 2147483647);
  assert.equal(server.model(IDS.vm).properties.securityProfile.proxyAgentSettings.mode, 'Enforce', 'PATCH merges');
}));

test('etag and If-Match: a stale etag gets 412, the current one is accepted and bumps the etag', () => withArm(async ({ arm }) => {
  const g = await arm.getModel(IDS.uniform);
  assert.equal(g.body.etag, '"1"');
  const body = structuredClone(g.body);
  delete body.properties.storageProfile.imageReference;
  body.properties.securityProfile.proxyAgentSettings.keyIncarnationId = 6;
  const stale = await arm.putInstance(IDS.uniform, body, '"0"');
  assert.equal(stale.status, 412);
  const ok = await arm.putInstance(IDS.uniform, body, '"1"');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.etag, '"2"');
  assert.equal(ok.body.properties.storageProfile.imageReference.exactVersion, '2026.07.01', 'the image stays in the model');
}));

test('a PUT that carries another tenant\'s gallery image reference fails LinkedAuthorizationFailed', () => withArm(async ({ arm }) => {
  const g = await arm.getModel(IDS.uniform);
  g.body.properties.securityProfile.proxyAgentSettings.keyIncarnationId = 6;
  const r = await arm.putInstance(IDS.uniform, g.body, g.body.etag);
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'LinkedAuthorizationFailed');
}));

test('no bearer token, no answer; other resource types are not found', () => withArm(async ({ server }) => {
  const res = await fetch(`${server.endpoint}${IDS.vm}?api-version=2024-03-01`).catch((e) => e);
  assert.ok(res instanceof Error || res.status === 401); // self-signed: fetch refuses the certificate, which is fine too
}));

test('instance view: the GPA substatus is found although another extension has no type', () => {
  for (const f of ['vm-web-01.instanceView.json', 'vmss-pool-a-7.instanceView.json']) {
    const view = fixture(f);
    assert.ok(view.extensions.some((e) => e.type === undefined));
    const g = gpaFromInstanceView(view);
    assert.equal(g.present, true);
    assert.equal(typeof g.keyIncarnationId, 'number');
    assert.match(g.keyGuid, /^[0-9a-f-]{36}$/);
  }
  assert.deepEqual(gpaFromInstanceView({ statuses: [] }), { present: false });
});

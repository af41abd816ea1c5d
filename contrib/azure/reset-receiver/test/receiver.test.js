'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, ticketFor, webhook, cloudevent, tokenFrom, IDS, SUB } = require('./helpers');

const REIMAGE_POLICY = { version: 1, auto_approve: [{ name: 'explained-reimage', verdicts: ['key_lost', 'key_mismatch'],
  explained_by: ['reimage', 'redeploy'], max_per_vm_per_day: 1 }] };

const writes = (server) => server.requests.filter((r) => r.method !== 'GET');
const state = (receiver, incident) => receiver.incidents().get(incident).state;

async function withSetup(opts, fn) {
  const ctx = await setup(opts);
  try { await fn(ctx); } finally { await ctx.server.stop(); }
}

test('approve by link: a VM gets exactly one PATCH with only keyIncarnationId = current + 1', () => withSetup({}, async ({ server, receiver, notes, credential, config }) => {
  const d = webhook(ticketFor('vm'));
  const res = await receiver.handleDelivery(d);
  assert.equal(res.status, 202);
  assert.equal(res.body.status, 'pending_approval');
  assert.ok(!JSON.stringify(res.body).includes('token'), 'the caller (the VM) never sees the approval link');
  assert.equal(writes(server).length, 0, 'nothing is written before approval');
  assert.equal(notes.length, 1);
  assert.equal(notes[0].summary.from, 3);
  assert.equal(notes[0].summary.to, 4);

  const ok = await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.status, 'awaiting_confirmation');
  const w = writes(server);
  assert.equal(w.length, 1);
  assert.equal(w[0].method, 'PATCH');
  assert.equal(w[0].path, IDS.vm);
  assert.deepEqual(w[0].query, { 'api-version': '2024-03-01' });
  assert.deepEqual(w[0].body, { properties: { securityProfile: { proxyAgentSettings: { keyIncarnationId: 4 } } } });
  assert.equal(w[0].headers.authorization, 'Bearer test-token');
  assert.equal(server.model(IDS.vm).properties.securityProfile.proxyAgentSettings.keyIncarnationId, 4);
  assert.ok(credential.scopes.every((s) => s === `${config.armEndpoint}/.default`));

  // the link is single use: the deny link of the same token and a second approve do nothing
  const again = await receiver.handleDecision({ token: tokenFrom(notes[0].denyUrl), decision: 'deny' });
  assert.equal(again.status, 410);
  assert.equal(writes(server).length, 1);
}));

test('approve by link: a Flexible member is PATCHed like a VM', () => withSetup({}, async ({ server, receiver, notes }) => {
  await receiver.handleDelivery(webhook(ticketFor('flex')));
  await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  const w = writes(server);
  assert.equal(w.length, 1);
  assert.equal(w[0].method, 'PATCH');
  assert.deepEqual(w[0].body, { properties: { securityProfile: { proxyAgentSettings: { keyIncarnationId: 12 } } } });
}));

test('approve by link: a Uniform instance gets GET, raise, imageReference dropped, one PUT with If-Match', () => withSetup({}, async ({ server, receiver, notes }) => {
  const res = await receiver.handleDelivery(cloudevent(ticketFor('uniform')));
  assert.equal(res.body.status, 'pending_approval');
  await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  const w = writes(server);
  assert.equal(w.length, 1);
  assert.equal(w[0].method, 'PUT');
  assert.equal(w[0].path, IDS.uniform);
  assert.deepEqual(w[0].query, { 'api-version': '2024-03-01' });
  assert.equal(w[0].headers['if-match'], '"1"');
  const body = w[0].body;
  assert.equal(body.properties.securityProfile.proxyAgentSettings.keyIncarnationId, 6);
  assert.equal(body.properties.storageProfile.imageReference, undefined, 'imageReference dropped');
  assert.ok(body.properties.storageProfile.osDisk, 'the rest of the model is carried whole');
  assert.ok(body.properties.networkProfileConfiguration);
  assert.equal(body.location, 'westus');
  assert.ok(!server.requests.some((r) => r.method === 'PATCH'), 'no PATCH on a scale-set VM');
  assert.equal(server.model(IDS.uniform).properties.securityProfile.proxyAgentSettings.keyIncarnationId, 6);
}));

test('deny: no write, the incident is closed, the link is spent', () => withSetup({}, async ({ server, receiver, notes }) => {
  const res = await receiver.handleDelivery(webhook(ticketFor('vm')));
  const r = await receiver.handleDecision({ token: tokenFrom(notes[0].denyUrl), decision: 'deny' });
  assert.equal(r.body.status, 'denied');
  assert.equal(state(receiver, res.body.incident), 'denied');
  const again = await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  assert.equal(again.status, 410);
  assert.equal(writes(server).length, 0);
}));

test('duplicate delivery (a retry with the same delivery id): one reset, no ARM request for the retry', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver }) => {
  const d = webhook(ticketFor('vm'));
  const first = await receiver.handleDelivery(d);
  assert.equal(first.body.status, 'awaiting_confirmation');
  assert.equal(first.body.approved_by, 'policy:explained-reimage');
  const seen = server.requests.length;
  const second = await receiver.handleDelivery(d);
  assert.equal(second.status, 200);
  assert.equal(second.body.status, 'duplicate');
  assert.equal(server.requests.length, seen, 'the retry reached no ARM endpoint');
  assert.equal(writes(server).length, 1);
  // concurrent copies of one delivery are serialised the same way
  const d2 = webhook(ticketFor('uniform'));
  const both = await Promise.all([receiver.handleDelivery(d2), receiver.handleDelivery(d2)]);
  assert.deepEqual(both.map((b) => b.body.status).sort(), ['duplicate', 'pending_approval']);
}));

test('forged signature: 401, nothing recorded as a delivery, no ARM request', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver, store }) => {
  const good = webhook(ticketFor('vm'));
  const cases = [
    { ...good, headers: { ...good.headers, 'x-latchwatch-signature': 'sha256=' + '0'.repeat(64) } },
    { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('"key_lost"', '"key_mismatch"')) },
    webhook(ticketFor('vm'), { secret: 'another-secret-entirely-0123456789' }),
    { ...good, headers: { ...good.headers, 'x-latchwatch-signature': undefined } },
    { ...good, headers: { ...good.headers, 'x-latchwatch-signature': good.headers['x-latchwatch-signature'].slice(0, 40) } },
  ];
  for (const c of cases) {
    const r = await receiver.handleDelivery(c);
    assert.equal(r.status, 401);
  }
  const huge = webhook(ticketFor('vm'), { extra: { padding: 'x'.repeat(2 * 1024 * 1024) } });
  assert.equal((await receiver.handleDelivery(huge)).status, 413);
  assert.equal(server.requests.length, 0);
  assert.ok(!store.all().some((r) => r.kind === 'delivery'));
  // a forged copy does not burn the real delivery id: the genuine one still goes through
  const real = await receiver.handleDelivery(good);
  assert.equal(real.body.status, 'awaiting_confirmation');
}));

test('a resource id of another kind or outside the scope is refused before any ARM request', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver }) => {
  const ids = [
    [`/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Storage/storageAccounts/webdiag01`, 'virtual_machine'],
    [`/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/..`, 'virtual_machine'],
    [`/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/pool-a/virtualMachines/../..`, 'uniform_instance'],
    [`/subscriptions/${SUB}/resourceGroups/rg-pool/providers/Microsoft.Compute/virtualMachineScaleSets/pool-a`, 'uniform_instance'],
    [`/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.Compute/virtualMachines/web-01`, 'virtual_machine'],
    [`/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-01`, 'virtual_machine'],
    [IDS.uniform, 'virtual_machine'],
    [IDS.vm, 'uniform_instance'],
    [IDS.vm, 'unknown'],
  ];
  for (const [rid, kind] of ids) {
    const r = await receiver.handleDelivery(webhook(ticketFor('vm', { resource_id: rid, resource_kind: kind })));
    assert.equal(r.status, 422, rid);
    assert.equal(r.body.status, 'refused');
  }
  const wrongCloud = await receiver.handleDelivery(webhook(ticketFor('vm', { cloud: 'AzureChinaCloud' })));
  assert.equal(wrongCloud.status, 422);
  const badNext = await receiver.handleDelivery(webhook(ticketFor('vm', { next_key_incarnation_id: 9 })));
  assert.equal(badNext.status, 422);
  const extra = await receiver.handleDelivery(webhook(ticketFor('vm', { command: 'rm -rf /' })));
  assert.equal(extra.status, 422);
  assert.equal(server.requests.length, 0);
}));

test('a ticket ARM contradicts is refused: no write, no approval link', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver, notes }) => {
  const stale = await receiver.handleDelivery(webhook(ticketFor('vm', { current_key_incarnation_id: 2, next_key_incarnation_id: 3 })));
  assert.equal(stale.status, 409);
  assert.match(stale.body.reasons[0], /ticket says keyIncarnationId 2, ARM says 3/);
  const otherVm = await receiver.handleDelivery(webhook(ticketFor('vm', { vm_id: '00000000-1111-4222-8333-444444444444' })));
  assert.equal(otherVm.status, 409);
  const kind = await receiver.handleDelivery(webhook(ticketFor('flex', { resource_kind: 'virtual_machine' })));
  assert.equal(kind.status, 409);
  assert.equal(writes(server).length, 0);
  assert.equal(notes.length, 0);
  assert.ok(server.requests.every((r) => r.method === 'GET' && r.query['api-version'] === '2024-03-01'));
}));

test('412 race on a Uniform instance: re-read, the same target, never raised twice', () => withSetup({}, async ({ server, receiver, notes }) => {
  // 1) someone else writes an unrelated field between our GET and PUT: re-read, PUT again at the same value
  await receiver.handleDelivery(webhook(ticketFor('uniform')));
  server.hooks.beforeWrite = () => server.externalWrite(IDS.uniform, (m) => { m.tags.owner = 'ops'; });
  const r = await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  assert.equal(r.body.status, 'awaiting_confirmation');
  const puts = writes(server);
  assert.equal(puts.length, 2);
  assert.deepEqual(puts.map((p) => p.headers['if-match']), ['"1"', '"2"']);
  assert.deepEqual(puts.map((p) => p.body.properties.securityProfile.proxyAgentSettings.keyIncarnationId), [6, 6]);
  assert.equal(server.model(IDS.uniform).properties.securityProfile.proxyAgentSettings.keyIncarnationId, 6);
  assert.equal(server.model(IDS.uniform).tags.owner, 'ops', 'the other write is not lost');
}));

test('412 race: the owner raised it meanwhile, the receiver does not raise again', () => withSetup({}, async ({ server, receiver, notes, store }) => {
  await receiver.handleDelivery(webhook(ticketFor('uniform')));
  server.hooks.beforeWrite = () => server.externalWrite(IDS.uniform, (m) => {
    m.properties.securityProfile.proxyAgentSettings.keyIncarnationId = 6;
  });
  const r = await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  assert.equal(r.body.status, 'awaiting_confirmation');
  assert.equal(writes(server).length, 1, 'only the PUT that got 412');
  assert.equal(server.model(IDS.uniform).properties.securityProfile.proxyAgentSettings.keyIncarnationId, 6);
  assert.ok(store.all().some((x) => x.kind === 'precondition_failed'));
  assert.ok(store.all().some((x) => x.kind === 'reset_not_needed'));
  assert.ok(!store.all().some((x) => x.kind === 'reset_applied'));
}));

test('policy: explained by a reimage in the window -> applied without a person; unexplained -> link', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver, notes, store }) => {
  const vm = await receiver.handleDelivery(webhook(ticketFor('vm')));
  assert.equal(vm.body.approved_by, 'policy:explained-reimage');
  const opened = store.all().find((r) => r.kind === 'incident_opened');
  assert.equal(opened.explanation.operations[0].operation, 'Microsoft.Compute/virtualMachines/reimage/action');
  assert.equal(opened.explanation.operations[0].caller, 'ops@contoso.com');
  // the Uniform instance's only event is a model write three days earlier: unexplained
  const inst = await receiver.handleDelivery(webhook(ticketFor('uniform')));
  assert.equal(inst.body.status, 'pending_approval');
  assert.equal(notes.length, 1);
  assert.match(notes[0].summary.because, /unexplained/);
  const logCalls = server.requests.filter((r) => /eventtypes\/management\/values$/i.test(r.path));
  assert.equal(logCalls.length, 2);
  assert.ok(logCalls.every((r) => r.query['api-version'] === '2015-04-01' && /resourceUri eq '/.test(r.query.$filter)));
}));

test('policy: at most one reset per VM per day, then a person decides', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver, notes, clock }) => {
  await receiver.handleDelivery(webhook(ticketFor('vm')));
  server.gpaReports(IDS.vm, 4, '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a');
  await receiver.tick();
  clock.t = new Date('2026-07-22T11:30:00Z');
  const second = await receiver.handleDelivery(webhook(ticketFor('vm', { current_key_incarnation_id: 4, next_key_incarnation_id: 5,
    report_time: '2026-07-22T11:20:00Z' })));
  assert.equal(second.body.status, 'pending_approval');
  assert.match(notes[0].summary.because, /max 1/);
  assert.equal(writes(server).length, 1);
}));

test('one reset in flight per VM: a second ticket while one is open is held without ARM requests', () => withSetup({}, async ({ server, receiver }) => {
  const first = await receiver.handleDelivery(webhook(ticketFor('vm')));
  const seen = server.requests.length;
  const second = await receiver.handleDelivery(cloudevent(ticketFor('vm')));
  assert.equal(second.body.status, 'held');
  assert.equal(second.body.incident, first.body.incident);
  assert.equal(server.requests.length, seen);
}));

test('cap per hour: the reset over the cap waits for the timer in the next hour', () => withSetup({ policy: REIMAGE_POLICY, env: { MAX_RESETS_PER_HOUR: '1' } }, async ({ server, receiver, notes, clock }) => {
  await receiver.handleDelivery(webhook(ticketFor('vm')));
  const inst = await receiver.handleDelivery(webhook(ticketFor('uniform')));
  const r = await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  assert.equal(r.body.status, 'held_cap');
  assert.equal(writes(server).length, 1);
  clock.t = new Date('2026-07-22T11:31:00Z');
  const out = await receiver.tick();
  assert.ok(out.some((o) => o.incident === inst.body.incident && o.state === 'awaiting_confirmation'));
  assert.equal(writes(server).length, 2);
}));

test('int32: a model already at 2147483647 is refused, nothing is sent', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver }) => {
  server.model(IDS.vm).properties.securityProfile.proxyAgentSettings.keyIncarnationId = 2147483647;
  const r = await receiver.handleDelivery(webhook(ticketFor('vm', { current_key_incarnation_id: null, next_key_incarnation_id: null })));
  assert.equal(r.status, 409);
  assert.match(r.body.reasons[0], /2147483647/);
  assert.equal(writes(server).length, 0);
}));

test('confirmation: latchwatch resolved + the model -> confirmed; or model + instance view by the timer', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver, store }) => {
  const a = await receiver.handleDelivery(webhook(ticketFor('vm')));
  const resolved = await receiver.handleDelivery(cloudevent(null, { type: 'com.latchwatch.verdict.resolved', source: IDS.vm,
    extra: { resolved: { old_incarnation: 3, new_incarnation: 4, message: 'key recovered' } } }));
  assert.equal(resolved.body.status, 'confirmed');
  assert.equal(state(receiver, a.body.incident), 'confirmed');

  // a resolved event for a resource whose model does not hold the target confirms nothing
  const b = await receiver.handleDelivery(webhook(ticketFor('flex', { verdict: 'key_mismatch', report_time: '2026-07-22T10:25:00Z' })));
  assert.equal(b.body.status, 'pending_approval', 'the flex member has no explaining operation');
  const early = await receiver.handleDelivery(webhook(null, { transition: 'resolved', extra: { identity: { resource_id: IDS.flex } } }));
  assert.equal(early.body.status, 'ignored');
  assert.equal(state(receiver, b.body.incident), 'pending_approval');
  assert.equal(writes(server).length, 1);
  assert.ok(store.all().some((r) => r.kind === 'confirmation' && r.source === 'latchwatch_resolved'));
}));

test('confirmation by polling: the instance view must show the new key incarnation', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver }) => {
  const a = await receiver.handleDelivery(webhook(ticketFor('vm')));
  let out = await receiver.tick();
  assert.deepEqual(out, [{ incident: a.body.incident, state: 'awaiting_confirmation' }], 'instance view still frozen at 3');
  server.gpaReports(IDS.vm, 4, '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a');
  out = await receiver.tick();
  assert.deepEqual(out, [{ incident: a.body.incident, state: 'confirmed' }]);
  assert.equal(writes(server).length, 1);
}));

test('an expired approval link does nothing', () => withSetup({ env: { APPROVAL_TTL_SECONDS: '600' } }, async ({ server, receiver, notes, clock }) => {
  await receiver.handleDelivery(webhook(ticketFor('vm')));
  clock.t = new Date('2026-07-22T10:41:00Z');
  const r = await receiver.handleDecision({ token: tokenFrom(notes[0].approveUrl), decision: 'approve' });
  assert.equal(r.status, 410);
  const bogus = await receiver.handleDecision({ token: 'A'.repeat(43), decision: 'approve' });
  assert.equal(bogus.status, 404);
  assert.equal(writes(server).length, 0);
}));

test('activity log pages are followed (nextLink on the same ARM origin)', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver }) => {
  server.pageSize = 1;
  const r = await receiver.handleDelivery(webhook(ticketFor('vm')));
  assert.equal(r.body.approved_by, 'policy:explained-reimage');
  assert.ok(server.requests.filter((q) => /eventtypes/i.test(q.path)).length >= 2);
}));

test('a delivery without a ticket, or a malformed envelope, writes nothing', () => withSetup({ policy: REIMAGE_POLICY }, async ({ server, receiver }) => {
  const none = await receiver.handleDelivery(webhook(null));
  assert.equal(none.body.status, 'ignored');
  const ce = cloudevent(ticketFor('vm'));
  const badId = JSON.parse(ce.rawBody);
  badId.id = '11111111-2222-4333-8444-555555555555';
  const raw = Buffer.from(JSON.stringify(badId));
  const { sign } = require('../src/signature');
  const r = await receiver.handleDelivery({ rawBody: raw, headers: { ...ce.headers, 'x-latchwatch-signature': sign(require('./helpers').SECRET, raw) } });
  assert.equal(r.status, 400);
  assert.equal(server.requests.length, 0);
}));

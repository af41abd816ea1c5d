'use strict';
// The receiver's loop, free of the Functions host: delivery -> claim check -> corroboration from ARM ->
// approval (policy or one-time link) -> reset per resource kind -> confirmation. Every step is a record.
const crypto = require('node:crypto');
const { verify } = require('./signature');
const { parseEnvelope, header } = require('./envelope');
const { checkTicket, parseResourceId, INT32_MAX } = require('./ticket');
const { explain } = require('./activity');
const { evaluate, validatePolicy } = require('./policy');
const { gpaFromInstanceView, powerState } = require('./gpa');

const HOUR = 3600 * 1000;
const OPEN_STATES = new Set(['pending_approval', 'approved', 'held_cap', 'applying']);
const MAX_PUT_ATTEMPTS = 3;
const MAX_BODY_BYTES = 1024 * 1024;

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

function keyIncarnation(model) {
  const pas = model && model.properties && model.properties.securityProfile &&
    model.properties.securityProfile.proxyAgentSettings;
  if (!pas) return { enabled: false, value: null };
  const v = pas.keyIncarnationId === undefined || pas.keyIncarnationId === null ? 0 : pas.keyIncarnationId;
  return { enabled: pas.enabled === true, value: Number.isInteger(v) ? v : null };
}

class Receiver {
  /**
   * config: from loadConfig(); arm: an Arm; store: MemoryStore/FileStore;
   * notify: async ({incident, resourceId, approveUrl, denyUrl, summary}) -> void (Logic App, Teams, e-mail);
   * now: () => Date (tests pass a fixed clock).
   */
  constructor({ config, arm, store, notify, now }) {
    const errors = validatePolicy(config.policy);
    if (errors.length) throw new Error(`policy: ${errors.join('; ')}`);
    this.config = config;
    this.arm = arm;
    this.store = store;
    this.notify = notify || (async () => {});
    this.now = now || (() => new Date());
    this.queue = Promise.resolve();
  }

  // One delivery / approval at a time in this process: dedupe and "one reset in flight" are read-then-append.
  serial(fn) {
    const run = this.queue.then(fn, fn);
    this.queue = run.then(() => {}, () => {});
    return run;
  }

  record(kind, fields) {
    return this.store.append({ time: this.now().toISOString(), kind, ...fields });
  }

  // ---- state derived from the append-only records ----
  incidents() {
    const map = new Map();
    for (const r of this.store.all()) {
      if (r.kind === 'incident_opened') map.set(r.incident, { ...r, state: 'open', events: [] });
      const inc = r.incident && map.get(r.incident);
      if (!inc) continue;
      inc.events.push(r);
      if (r.kind === 'state') inc.state = r.state;
    }
    return map;
  }

  openIncidentFor(resourceKey) {
    for (const inc of this.incidents().values()) {
      if (inc.resourceKey === resourceKey && (OPEN_STATES.has(inc.state))) return inc;
    }
    return null;
  }

  resetsSince(ms, resourceKey) {
    const since = this.now().getTime() - ms;
    return this.store.all().filter((r) => r.kind === 'reset_applied' && Date.parse(r.time) >= since &&
      (!resourceKey || r.resourceKey === resourceKey)).length;
  }

  setState(incident, state, why) {
    this.record('state', { incident, state, why });
  }

  // ---- HTTP-shaped entry points (plain objects; the Functions file adapts them) ----

  /** POST from latchwatch: { headers, rawBody: Buffer } -> { status, body } */
  handleDelivery({ headers, rawBody }) {
    return this.serial(() => this.#delivery(headers, rawBody));
  }

  /** POST from a person's approve/deny link: { token, decision } -> { status, body } */
  handleDecision({ token, decision }) {
    return this.serial(() => this.#decision(token, decision));
  }

  /** Timer: apply approved incidents held by the hourly cap, poll the model + instance view of applied ones. */
  tick() {
    return this.serial(() => this.#tick());
  }

  async #delivery(headers, rawBody) {
    const deliveryHeader = header(headers, 'x-latchwatch-delivery');
    if (rawBody.length > MAX_BODY_BYTES) {
      this.record('delivery_rejected', { reason: 'body too large', bytes: rawBody.length });
      return { status: 413, body: { status: 'rejected', reason: 'body too large' } };
    }
    if (!verify(this.config.secrets, header(headers, 'x-latchwatch-signature'), rawBody)) {
      this.record('signature_rejected', { delivery: /^[0-9a-f-]{36}$/i.test(deliveryHeader) ? deliveryHeader : null,
        bytes: rawBody.length });
      return { status: 401, body: { status: 'rejected', reason: 'signature' } };
    }
    const env = parseEnvelope(headers, rawBody);
    if (!env.ok) {
      this.record('delivery_rejected', { reason: env.reason });
      return { status: 400, body: { status: 'rejected', reason: env.reason } };
    }
    if (this.store.all().some((r) => r.kind === 'delivery' && r.delivery === env.deliveryId)) {
      this.record('duplicate_delivery', { delivery: env.deliveryId });
      return { status: 200, body: { status: 'duplicate', delivery: env.deliveryId } };
    }
    this.record('delivery', { delivery: env.deliveryId, format: env.format, transition: env.transition,
      resource: env.ticket && typeof env.ticket.resource_id === 'string' ? env.ticket.resource_id.slice(0, 400) : null });

    if (env.transition === 'resolved') return this.#resolved(env);
    if (env.ticket === null) return { status: 202, body: { status: 'ignored', reason: 'no reset_ticket' } };

    const check = checkTicket(env.ticket, { scopes: this.config.scopes, cloud: this.config.cloud,
      deliveryId: env.deliveryId });
    if (!check.ok) {
      this.record('refused', { delivery: env.deliveryId, stage: 'claim', reasons: check.reasons });
      return { status: 422, body: { status: 'refused', reasons: check.reasons } };
    }
    const resource = check.resource;
    const open = this.openIncidentFor(resource.key);
    if (open) {
      this.record('held', { delivery: env.deliveryId, incident: open.incident, reason: `incident ${open.incident} is ${open.state}` });
      return { status: 202, body: { status: 'held', incident: open.incident, reason: 'one reset in flight per VM' } };
    }
    return this.#corroborate(env, resource);
  }

  async #corroborate(env, resource) {
    const t = env.ticket;
    const refuse = (reasons, status = 409) => {
      this.record('refused', { delivery: env.deliveryId, stage: 'corroboration', resourceKey: resource.key, reasons });
      return { status, body: { status: 'refused', reasons } };
    };
    const model = await this.arm.getModel(resource.id);
    this.record('arm_read', { delivery: env.deliveryId, what: 'model', status: model.status, etag: model.etag });
    if (model.status !== 200) return refuse([`ARM GET of the model answered ${model.status}`], 424);
    const m = model.body || {};
    if (String(m.id || '').toLowerCase() !== resource.key) return refuse(['ARM returned another resource id']);
    const armVmId = m.properties && m.properties.vmId;
    if (t.vm_id !== null && String(armVmId || '').toLowerCase() !== t.vm_id.toLowerCase()) {
      return refuse([`vm_id ${t.vm_id} is not the model's vmId ${armVmId}`]);
    }
    if (resource.form === 'vm') {
      const flex = Boolean(m.properties && m.properties.virtualMachineScaleSet && m.properties.virtualMachineScaleSet.id);
      const kind = flex ? 'flexible_member' : 'virtual_machine';
      if (kind !== t.resource_kind) return refuse([`resource_kind ${t.resource_kind}: the model is a ${kind}`]);
    }
    const key = keyIncarnation(m);
    if (!key.enabled) return refuse(['proxyAgentSettings.enabled is not true in the model: no key to reset']);
    if (key.value === null) return refuse(['the model\'s keyIncarnationId is not an integer']);
    if (t.current_key_incarnation_id !== null && t.current_key_incarnation_id !== key.value) {
      return refuse([`ticket says keyIncarnationId ${t.current_key_incarnation_id}, ARM says ${key.value}`]);
    }
    if (key.value >= INT32_MAX) return refuse(['keyIncarnationId is 2147483647: it cannot be raised']);

    const iv = await this.arm.getInstanceView(resource.id);
    const gpa = iv.status === 200 ? gpaFromInstanceView(iv.body) : { present: false };
    this.record('arm_read', { delivery: env.deliveryId, what: 'instance_view', status: iv.status, gpa,
      powerState: iv.status === 200 ? powerState(iv.body) : null });

    const reportTime = new Date(t.report_time);
    const from = new Date(reportTime.getTime() - this.config.activityWindowHours * HOUR);
    const log = await this.arm.listActivity(resource.subscriptionId, resource.id, from, reportTime);
    const explanation = log.ok
      ? explain(log.events, { resourceId: resource.id, reportTime: t.report_time,
        windowHours: this.config.activityWindowHours, receiverPrincipalId: this.config.receiverPrincipalId })
      : { explained: false, operations: [], error: `activity log answered ${log.status}` };
    this.record('arm_read', { delivery: env.deliveryId, what: 'activity_log', ok: log.ok, events: log.events.length,
      explanation });

    const incident = crypto.randomUUID();
    this.record('incident_opened', {
      incident, delivery: env.deliveryId, resourceKey: resource.key, resourceId: m.id, form: resource.form,
      resourceKind: t.resource_kind, verdict: t.verdict, base: key.value, target: key.value + 1, explanation,
      gpa, ticket: t,
    });
    const decision = evaluate(this.config.policy, { verdict: t.verdict, explanation,
      resetsLast24h: this.resetsSince(24 * HOUR, resource.key) });
    if (decision.auto) {
      this.record('approved', { incident, by: `policy:${decision.rule}`, because: decision.because });
      this.setState(incident, 'approved', 'policy');
      const result = await this.#apply(incident);
      return { status: 202, body: { status: result, incident, approved_by: `policy:${decision.rule}` } };
    }
    const token = crypto.randomBytes(32).toString('base64url');
    const expires = new Date(this.now().getTime() + this.config.approvalTtlSeconds * 1000);
    this.record('approval_requested', { incident, tokenHash: sha256(token), expires: expires.toISOString(),
      because: decision.because });
    this.setState(incident, 'pending_approval', decision.because);
    const base = `${this.config.publicBaseUrl}/api/approval?token=${token}`;
    // The link goes to the owner's channel only, never back to the caller (the VM).
    await this.notify({ incident, resourceId: m.id, approveUrl: `${base}&decision=approve`,
      denyUrl: `${base}&decision=deny`, expires: expires.toISOString(),
      summary: { verdict: t.verdict, from: key.value, to: key.value + 1, explanation, gpa, because: decision.because } });
    return { status: 202, body: { status: 'pending_approval', incident } };
  }

  async #decision(token, decision) {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token) || !['approve', 'deny'].includes(decision)) {
      return { status: 400, body: { status: 'rejected', reason: 'token or decision malformed' } };
    }
    const hash = sha256(token);
    const req = this.store.all().find((r) => r.kind === 'approval_requested' && r.tokenHash === hash);
    if (!req) return { status: 404, body: { status: 'rejected', reason: 'unknown token' } };
    if (this.store.all().some((r) => r.kind === 'approval_used' && r.tokenHash === hash)) {
      return { status: 410, body: { status: 'rejected', reason: 'token already used' } };
    }
    if (this.now().getTime() > Date.parse(req.expires)) {
      this.record('approval_expired', { incident: req.incident });
      this.setState(req.incident, 'expired', 'approval link expired');
      return { status: 410, body: { status: 'rejected', reason: 'token expired' } };
    }
    const inc = this.incidents().get(req.incident);
    if (!inc || inc.state !== 'pending_approval') {
      return { status: 409, body: { status: 'rejected', reason: `incident is ${inc ? inc.state : 'gone'}` } };
    }
    this.record('approval_used', { incident: req.incident, tokenHash: hash, decision });
    if (decision === 'deny') {
      this.record('denied', { incident: req.incident, by: 'link' });
      this.setState(req.incident, 'denied', 'link');
      return { status: 200, body: { status: 'denied', incident: req.incident } };
    }
    this.record('approved', { incident: req.incident, by: 'link' });
    this.setState(req.incident, 'approved', 'link');
    const result = await this.#apply(req.incident);
    return { status: 200, body: { status: result, incident: req.incident } };
  }

  /** Apply the reset for an approved incident. Returns the incident's new state. */
  async #apply(incident) {
    const inc = this.incidents().get(incident);
    if (this.resetsSince(HOUR) >= this.config.maxResetsPerHour) {
      this.setState(incident, 'held_cap', `cap of ${this.config.maxResetsPerHour} resets per hour reached`);
      return 'held_cap';
    }
    this.setState(incident, 'applying', 'approved');
    const target = inc.target;
    for (let attempt = 1; attempt <= MAX_PUT_ATTEMPTS; attempt++) {
      // re-read right before writing: someone (the owner, another receiver) may have raised it already
      const model = await this.arm.getModel(inc.resourceId);
      this.record('arm_read', { incident, what: 'model_before_write', status: model.status, etag: model.etag });
      if (model.status !== 200) {
        this.setState(incident, 'failed', `ARM GET answered ${model.status}`);
        return 'failed';
      }
      const key = keyIncarnation(model.body);
      if (key.value === null || key.value >= target) {
        this.record('reset_not_needed', { incident, armValue: key.value, target });
        this.setState(incident, 'awaiting_confirmation', `already ${key.value} in the model`);
        return 'awaiting_confirmation';
      }
      if (key.value !== inc.base) {
        this.setState(incident, 'failed', `the model's value moved from ${inc.base} to ${key.value}`);
        return 'failed';
      }
      let res;
      if (inc.form === 'vm') {
        this.record('reset_request', { incident, method: 'PATCH', resourceId: inc.resourceId, keyIncarnationId: target });
        res = await this.arm.patchKeyIncarnation(inc.resourceId, target);
      } else {
        const etag = model.body.etag || model.etag;
        if (!etag) {
          this.setState(incident, 'failed', 'no etag on the instance model: a whole-model PUT needs If-Match');
          return 'failed';
        }
        const body = structuredClone(model.body);
        body.properties.securityProfile.proxyAgentSettings.keyIncarnationId = target;
        if (body.properties.storageProfile) delete body.properties.storageProfile.imageReference;
        this.record('reset_request', { incident, method: 'PUT', resourceId: inc.resourceId, keyIncarnationId: target,
          ifMatch: etag, attempt });
        res = await this.arm.putInstance(inc.resourceId, body, etag);
      }
      this.record('reset_response', { incident, status: res.status,
        error: res.status >= 400 ? (res.body && (res.body.error || res.body.message || res.body)) : undefined });
      if (res.status === 200 || res.status === 201 || res.status === 202) {
        this.record('reset_applied', { incident, resourceKey: inc.resourceKey, from: inc.base, to: target });
        this.setState(incident, 'awaiting_confirmation', 'written');
        return 'awaiting_confirmation';
      }
      if (res.status === 412 && inc.form === 'instance') {
        this.record('precondition_failed', { incident, attempt });
        continue; // re-read; the loop raises only if the value is still the incident's base
      }
      this.setState(incident, 'failed', `ARM answered ${res.status}`);
      return 'failed';
    }
    this.setState(incident, 'failed', `412 on ${MAX_PUT_ATTEMPTS} attempts`);
    return 'failed';
  }

  async #resolved(env) {
    const hint = env.resourceIdHint && parseResourceId(env.resourceIdHint);
    if (!hint) return { status: 202, body: { status: 'ignored', reason: 'resolved without a resource id' } };
    const inc = [...this.incidents().values()].find((i) => i.resourceKey === hint.key && i.state === 'awaiting_confirmation');
    if (!inc) return { status: 202, body: { status: 'ignored', reason: 'no reset awaiting confirmation here' } };
    const n = env.report.resolved && Number.isInteger(env.report.resolved.new_incarnation)
      ? env.report.resolved.new_incarnation : null;
    this.record('confirmation', { incident: inc.incident, source: 'latchwatch_resolved', delivery: env.deliveryId,
      newIncarnation: n });
    // The VM's word confirms only together with ARM: the model must hold the target.
    const model = await this.arm.getModel(inc.resourceId);
    const key = model.status === 200 ? keyIncarnation(model.body) : { value: null };
    this.record('arm_read', { incident: inc.incident, what: 'model_after_resolved', status: model.status, value: key.value });
    if (key.value !== null && key.value >= inc.target && (n === null || n >= inc.target)) {
      this.setState(inc.incident, 'confirmed', 'latchwatch resolved and the model holds the new value');
      return { status: 200, body: { status: 'confirmed', incident: inc.incident } };
    }
    return { status: 202, body: { status: 'awaiting_confirmation', incident: inc.incident } };
  }

  async #tick() {
    const out = [];
    for (const inc of this.incidents().values()) {
      if (inc.state === 'held_cap') out.push({ incident: inc.incident, state: await this.#apply(inc.incident) });
      else if (inc.state === 'awaiting_confirmation') {
        const model = await this.arm.getModel(inc.resourceId);
        const key = model.status === 200 ? keyIncarnation(model.body) : { value: null };
        const iv = await this.arm.getInstanceView(inc.resourceId);
        const gpa = iv.status === 200 ? gpaFromInstanceView(iv.body) : { present: false };
        this.record('confirmation_poll', { incident: inc.incident, modelValue: key.value, gpa });
        if (key.value !== null && key.value >= inc.target && gpa.present && gpa.keyIncarnationId !== null &&
          gpa.keyIncarnationId >= inc.target) {
          this.setState(inc.incident, 'confirmed', 'model and instance view hold the new value');
          out.push({ incident: inc.incident, state: 'confirmed' });
        } else out.push({ incident: inc.incident, state: 'awaiting_confirmation' });
      }
    }
    return out;
  }
}

module.exports = { Receiver, keyIncarnation };

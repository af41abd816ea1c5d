'use strict';
// A loopback HTTPS server that answers like ARM for the few operations the receiver may use, following the
// Compute REST spec (2024-03-01) and the activity-log spec (2015-04-01). It records every request.
//   VirtualMachines:               GET, PUT, PATCH, DELETE   .../virtualMachines/{vm}            + GET /instanceView
//   VirtualMachineScaleSetVMs:     GET, PUT, DELETE          .../virtualMachineScaleSets/{ss}/virtualMachines/{id}
//                                  (PATCH -> 405 "does not support http method 'PATCH'")        + GET /instanceView
//   ActivityLogs_List:             GET /subscriptions/{s}/providers/microsoft.insights/eventtypes/management/values
// Rules: api-version required; bearer token required; keyIncarnationId int32 and increment-only (400 otherwise);
// etag changes on every write; If-Match mismatch -> 412; a PUT that carries an imageReference of another tenant's
// gallery -> 403 LinkedAuthorizationFailed (what ARM does when the caller cannot read that image).
const https = require('node:https');

const COMPUTE_VERSIONS = new Set(['2023-09-01', '2024-03-01', '2024-07-01', '2024-11-01', '2025-04-01']);
const INT32_MAX = 2147483647;
const SEG = '([^/]+)';
const VM_PATH = new RegExp(`^/subscriptions/${SEG}/resourcegroups/${SEG}/providers/microsoft\\.compute/virtualmachines/${SEG}(/instanceview)?$`, 'i');
const SSVM_PATH = new RegExp(`^/subscriptions/${SEG}/resourcegroups/${SEG}/providers/microsoft\\.compute/virtualmachinescalesets/${SEG}/virtualmachines/${SEG}(/instanceview)?$`, 'i');
const ACTIVITY_PATH = new RegExp(`^/subscriptions/${SEG}/providers/microsoft\\.insights/eventtypes/management/values$`, 'i');
const FILTER_RE = /^eventTimestamp ge '([^']+)' and eventTimestamp le '([^']+)'(?: and (resourceGroupName|resourceUri|resourceProvider|correlationId) eq '([^']+)')?$/;

const clone = (x) => structuredClone(x);
const err = (status, code, message) => ({ status, body: { error: { code, message } } });

function mergePatch(target, patch) {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null && !Array.isArray(target[k])) mergePatch(target[k], v);
    else target[k] = clone(v);
  }
  return target;
}

function keyOf(model) {
  const p = model && model.properties && model.properties.securityProfile && model.properties.securityProfile.proxyAgentSettings;
  return p && p.keyIncarnationId !== undefined ? p.keyIncarnationId : undefined;
}

class SpecServer {
  constructor({ key, cert }) {
    this.tls = { key, cert };
    this.resources = new Map(); // lower-case id -> { model, instanceView, kind: 'vm'|'ssvm', etagN }
    this.activity = [];
    this.requests = [];
    this.hooks = { beforeWrite: null };
    this.pageSize = 2;
  }

  addResource(model, instanceView) {
    const kind = /virtualmachinescalesets/i.test(model.id) ? 'ssvm' : 'vm';
    const n = Number(String(model.etag || '"1"').replace(/"/g, '')) || 1;
    this.resources.set(model.id.toLowerCase(), { model: clone(model), instanceView: clone(instanceView), kind, etagN: n });
  }

  model(id) { return this.resources.get(id.toLowerCase()).model; }

  /** Another actor writes the model (bumps the etag), e.g. between the receiver's GET and PUT. */
  externalWrite(id, mutate) {
    const r = this.resources.get(id.toLowerCase());
    mutate(r.model);
    r.etagN += 1;
    r.model.etag = `"${r.etagN}"`;
  }

  /** GPA inside the VM picks up a new key: the instance view's substatus shows it. */
  gpaReports(id, n, guid) {
    const r = this.resources.get(id.toLowerCase());
    for (const ext of r.instanceView.extensions || []) {
      for (const sub of ext.substatuses || []) {
        if (!String(sub.code || '').includes('ProxyAgentStatus')) continue;
        const s = JSON.parse(sub.message);
        s.keyLatchStatus.states.keyIncarnationId = String(n);
        s.keyLatchStatus.states.keyGuid = guid;
        sub.message = JSON.stringify(s);
      }
    }
  }

  writes() { return this.requests.filter((r) => r.method !== 'GET'); }

  start() {
    this.server = https.createServer(this.tls, (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url, 'https://127.0.0.1');
        const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
          headers: { authorization: req.headers.authorization, 'if-match': req.headers['if-match'],
            'content-type': req.headers['content-type'] }, body: raw ? safeJson(raw) : undefined };
        this.requests.push(entry);
        const out = this.route(req.method, url, entry);
        res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', ...(out.headers || {}) });
        res.end(out.body === undefined ? '' : JSON.stringify(out.body));
      });
    });
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.endpoint = `https://127.0.0.1:${this.server.address().port}`;
      resolve(this);
    }));
  }

  stop() { return new Promise((resolve) => this.server.close(resolve)); }

  route(method, url, entry) {
    if (!/^Bearer \S+$/.test(entry.headers.authorization || '')) {
      return err(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    }
    const api = url.searchParams.get('api-version');
    if (!api) return err(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    let m;
    if ((m = ACTIVITY_PATH.exec(url.pathname))) return this.activityList(method, api, url);
    const vm = VM_PATH.exec(url.pathname);
    const ssvm = SSVM_PATH.exec(url.pathname);
    if (!vm && !ssvm) return err(404, 'InvalidResourceType', `The resource type could not be found for ${url.pathname}.`);
    if (!COMPUTE_VERSIONS.has(api)) return err(400, 'InvalidApiVersionParameter', `The api-version '${api}' is invalid.`);
    const instanceView = Boolean((vm || ssvm)[vm ? 4 : 5]);
    const id = instanceView ? url.pathname.replace(/\/instanceview$/i, '') : url.pathname;
    const kind = vm ? 'vm' : 'ssvm';
    const allowed = instanceView ? ['GET'] : kind === 'vm' ? ['GET', 'PUT', 'PATCH', 'DELETE'] : ['GET', 'PUT', 'DELETE'];
    if (!allowed.includes(method)) {
      return { status: 405, body: { message: `The requested resource does not support http method '${method}'.` } };
    }
    const r = this.resources.get(id.toLowerCase());
    if (!r || r.kind !== kind) {
      return err(404, 'ResourceNotFound', `The Resource '${id}' was not found.`);
    }
    if (method === 'GET') {
      if (instanceView) return { status: 200, body: clone(r.instanceView) };
      return { status: 200, body: clone(r.model), headers: { etag: r.model.etag } };
    }
    if (method === 'DELETE') {
      this.resources.delete(id.toLowerCase());
      return { status: 202 };
    }
    if (this.hooks.beforeWrite) {
      const hook = this.hooks.beforeWrite;
      this.hooks.beforeWrite = null;
      hook(r, entry);
    }
    const ifMatch = entry.headers['if-match'];
    if (ifMatch && ifMatch !== '*' && ifMatch !== r.model.etag) {
      return err(412, 'PreconditionFailed', 'The specified precondition \'If-Match\' does not match the resource\'s etag.');
    }
    if (!entry.body || typeof entry.body !== 'object') return err(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    let next;
    if (method === 'PATCH') {
      next = mergePatch(clone(r.model), entry.body);
    } else {
      if (typeof entry.body.location !== 'string') return err(400, 'LocationRequired', 'The location property is required for this definition.');
      const img = entry.body.properties && entry.body.properties.storageProfile && entry.body.properties.storageProfile.imageReference;
      if (img && img.id && !img.id.toLowerCase().startsWith(`/subscriptions/${id.split('/')[2].toLowerCase()}/`)) {
        return err(403, 'LinkedAuthorizationFailed', `The client has permission to perform action 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write' on scope '${id}', however it does not have permission to perform action 'Microsoft.Compute/galleries/images/versions/read' on the linked scope(s) '${img.id}'.`);
      }
      next = clone(entry.body);
      // read-only and server-kept parts of the model
      for (const k of ['id', 'name', 'type', 'instanceId', 'sku']) if (r.model[k] !== undefined) next[k] = r.model[k];
      next.properties = next.properties || {};
      for (const k of ['vmId', 'provisioningState', 'latestModelApplied', 'modelDefinitionApplied']) {
        if (r.model.properties[k] !== undefined) next.properties[k] = r.model.properties[k];
      }
      if (!img && r.model.properties.storageProfile && r.model.properties.storageProfile.imageReference) {
        next.properties.storageProfile = next.properties.storageProfile || {};
        next.properties.storageProfile.imageReference = clone(r.model.properties.storageProfile.imageReference);
      }
    }
    const before = keyOf(r.model);
    const after = keyOf(next);
    // PATCH naming the value: it must go up. PUT of the whole model: the same value is "unchanged", lower is refused.
    const named = method === 'PATCH' ? keyOf(entry.body) !== undefined : after !== undefined;
    if (named) {
      if (!Number.isInteger(after) || after < 0 || after > INT32_MAX) {
        return err(400, 'InvalidParameter', "The value of parameter 'keyIncarnationId' is invalid: an int32 is expected.");
      }
      const unchangedPut = method === 'PUT' && after === before;
      if (before !== undefined && after <= before && !unchangedPut) {
        return err(400, 'InvalidParameter', 'keyIncarnationId can only be incremented.');
      }
    }
    r.etagN += 1;
    next.etag = `"${r.etagN}"`;
    r.model = next;
    return { status: 200, body: clone(r.model), headers: { etag: r.model.etag } };
  }

  activityList(method, api, url) {
    if (method !== 'GET') return { status: 405, body: { message: `The requested resource does not support http method '${method}'.` } };
    if (api !== '2015-04-01') return err(400, 'InvalidApiVersionParameter', `The api-version '${api}' is invalid.`);
    const filter = url.searchParams.get('$filter');
    const m = FILTER_RE.exec(filter || '');
    if (!m) return err(400, 'BadRequest', 'The $filter is not one of the allowed patterns.');
    const from = Date.parse(m[1]);
    const to = Date.parse(m[2]);
    let events = this.activity.filter((e) => Date.parse(e.eventTimestamp) >= from && Date.parse(e.eventTimestamp) <= to);
    if (m[3] === 'resourceUri') events = events.filter((e) => e.resourceId.toLowerCase() === m[4].toLowerCase());
    if (m[3] === 'resourceGroupName') events = events.filter((e) => e.resourceGroupName.toLowerCase() === m[4].toLowerCase());
    const skip = Number(url.searchParams.get('$skiptoken') || 0);
    const page = events.slice(skip, skip + this.pageSize);
    const body = { value: clone(page) };
    if (skip + this.pageSize < events.length) {
      const next = new URL(url.toString());
      next.protocol = 'https:';
      next.host = new URL(this.endpoint).host;
      next.searchParams.set('$skiptoken', String(skip + this.pageSize));
      body.nextLink = next.toString();
    }
    return { status: 200, body };
  }
}

function safeJson(raw) {
  try { return JSON.parse(raw); } catch { return raw; }
}

module.exports = { SpecServer, INT32_MAX };

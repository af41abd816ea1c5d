'use strict';
// ARM access through @azure/arm-compute's pipeline (bearer token from the credential, retries, user agent),
// with the api-version pinned to 2024-03-01: @azure/arm-compute 24.x pins 2026-03-01 for its own operations,
// and latchwatch, its docs and its tests are written against 2024-03-01 (the first stable version where
// proxyAgentSettings.keyIncarnationId and the VM / scale-set VM etag exist together).
const { ComputeManagementClient } = require('@azure/arm-compute');
const { createPipelineRequest, createDefaultHttpClient } = require('@azure/core-rest-pipeline');

const COMPUTE_API = '2024-03-01';
const ACTIVITY_API = '2015-04-01';

class Arm {
  /**
   * endpoint: the cloud's ARM origin (https://management.azure.com, .usgovcloudapi.net, .chinacloudapi.cn)
   * credential: a @azure/identity TokenCredential (ManagedIdentityCredential in production)
   * tlsOptions: only for tests (the loopback spec server's CA)
   */
  constructor({ endpoint, credential, audience, tlsOptions }) {
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.origin = new URL(this.endpoint).origin;
    this.client = new ComputeManagementClient(credential, {
      endpoint: this.endpoint,
      credentials: { scopes: [audience || `${this.endpoint}/.default`] },
      tlsOptions,
      retryOptions: { maxRetries: 2 },
    });
    this.httpClient = createDefaultHttpClient();
  }

  async send(method, url, { body, headers = {} } = {}) {
    const req = createPipelineRequest({ url, method });
    req.headers.set('Accept', 'application/json');
    for (const [k, v] of Object.entries(headers)) req.headers.set(k, v);
    if (body !== undefined) {
      req.headers.set('Content-Type', 'application/json');
      req.body = JSON.stringify(body);
    }
    const res = await this.client.pipeline.sendRequest(this.httpClient, req);
    let parsed = null;
    try {
      parsed = res.bodyAsText ? JSON.parse(res.bodyAsText) : null;
    } catch {
      parsed = { raw: String(res.bodyAsText).slice(0, 500) };
    }
    return { status: res.status, etag: res.headers.get('etag') || null, body: parsed };
  }

  url(resourceId, suffix = '') {
    return `${this.endpoint}${resourceId}${suffix}?api-version=${COMPUTE_API}`;
  }

  getModel(resourceId) { return this.send('GET', this.url(resourceId)); }

  getInstanceView(resourceId) { return this.send('GET', this.url(resourceId, '/instanceView')); }

  /** VM or Flexible member: VirtualMachines_Update (PATCH, merge semantics), only the key incarnation. */
  patchKeyIncarnation(resourceId, value) {
    return this.send('PATCH', this.url(resourceId), {
      body: { properties: { securityProfile: { proxyAgentSettings: { keyIncarnationId: value } } } },
    });
  }

  /** Uniform instance: VirtualMachineScaleSetVMs_Update (PUT of the whole instance model) with If-Match. */
  putInstance(resourceId, model, etag) {
    return this.send('PUT', this.url(resourceId), { body: model, headers: { 'If-Match': etag } });
  }

  /** ActivityLogs_List for one resource in a time window; follows nextLink only on the same ARM origin. */
  async listActivity(subscriptionId, resourceId, from, to) {
    const filter = `eventTimestamp ge '${from.toISOString()}' and eventTimestamp le '${to.toISOString()}' ` +
      `and resourceUri eq '${resourceId}'`;
    let url = `${this.endpoint}/subscriptions/${subscriptionId}/providers/microsoft.insights/eventtypes/management/values` +
      `?api-version=${ACTIVITY_API}&$filter=${encodeURIComponent(filter)}`;
    const events = [];
    for (let page = 0; url && page < 20; page++) {
      const res = await this.send('GET', url);
      if (res.status !== 200) return { ok: false, status: res.status, error: res.body, events };
      events.push(...(Array.isArray(res.body && res.body.value) ? res.body.value : []));
      const next = res.body && res.body.nextLink;
      url = null;
      if (typeof next === 'string' && next) {
        if (new URL(next).origin !== this.origin) return { ok: false, status: 0, error: 'nextLink leaves the ARM endpoint', events };
        url = next;
      }
    }
    return { ok: true, events };
  }
}

module.exports = { Arm, COMPUTE_API, ACTIVITY_API };

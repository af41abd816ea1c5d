'use strict';
// Parse a signed delivery: latchwatch's plain webhook JSON or a CloudEvents 1.0 structured event.
const { GUID_RE } = require('./ticket');

const CE_TYPES = {
  'com.latchwatch.verdict.fired': 'fired',
  'com.latchwatch.verdict.changed': 'changed',
  'com.latchwatch.verdict.resolved': 'resolved',
};

function header(headers, name) {
  if (typeof headers.get === 'function') return headers.get(name) || '';
  const k = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
  return k ? String(headers[k]) : '';
}

/** -> { ok:true, format, deliveryId, transition, report, ticket, source } or { ok:false, reason } */
function parseEnvelope(headers, rawBody) {
  const deliveryId = header(headers, 'x-latchwatch-delivery').trim();
  if (!GUID_RE.test(deliveryId)) return { ok: false, reason: 'X-Latchwatch-Delivery missing or not a uuid' };
  let doc;
  try {
    doc = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, reason: 'body is not a JSON object' };
  const contentType = header(headers, 'content-type').toLowerCase();
  const isCe = contentType.startsWith('application/cloudevents+json') || 'specversion' in doc;
  let report;
  let transition;
  let source = null;
  let format;
  if (isCe) {
    format = 'cloudevents';
    if (doc.specversion !== '1.0') return { ok: false, reason: 'CloudEvent specversion is not 1.0' };
    if (typeof doc.id !== 'string' || doc.id.toLowerCase() !== deliveryId.toLowerCase()) {
      return { ok: false, reason: 'CloudEvent id differs from X-Latchwatch-Delivery' };
    }
    transition = CE_TYPES[doc.type];
    if (!transition) return { ok: false, reason: 'CloudEvent type is not a latchwatch verdict event' };
    if (doc.datacontenttype !== undefined && doc.datacontenttype !== 'application/json') {
      return { ok: false, reason: 'CloudEvent datacontenttype is not application/json' };
    }
    if (!doc.data || typeof doc.data !== 'object') return { ok: false, reason: 'CloudEvent data is not an object' };
    report = doc.data;
    source = typeof doc.source === 'string' ? doc.source : null;
  } else {
    format = 'webhook';
    report = doc;
    transition = typeof doc.transition === 'string' ? doc.transition : 'unknown';
  }
  const ticket = report.reset_ticket === undefined ? null : report.reset_ticket;
  const resourceIdHint = (report.identity && typeof report.identity.resource_id === 'string')
    ? report.identity.resource_id : (source && source.startsWith('/') ? source : null);
  return { ok: true, format, deliveryId: deliveryId.toLowerCase(), transition, report, ticket, resourceIdHint };
}

module.exports = { parseEnvelope, header };

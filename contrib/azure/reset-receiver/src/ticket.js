'use strict';
// The reset ticket is a claim made inside the VM. Everything here re-checks it before any ARM request.
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020').default;
const schema = require(path.join(__dirname, '..', 'schema', 'reset-ticket.schema.json'));

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateSchema = ajv.compile(schema);

const INT32_MAX = 2147483647;
const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const SUB = '[0-9a-fA-F-]{36}';
const RG = '[-\\w._()]{1,90}';
const NAME = '[-\\w.]{1,64}';
const VM_RE = new RegExp(`^/subscriptions/(${SUB})/resourceGroups/(${RG})/providers/Microsoft\\.Compute/virtualMachines/(${NAME})$`, 'i');
const INSTANCE_RE = new RegExp(`^/subscriptions/(${SUB})/resourceGroups/(${RG})/providers/Microsoft\\.Compute/virtualMachineScaleSets/(${NAME})/virtualMachines/([0-9]{1,10})$`, 'i');
const GUID_RE = new RegExp(`^${GUID}$`);

/**
 * Parse an ARM id of a VM / Flexible member (form "vm") or a Uniform instance (form "instance").
 * Anything else (another provider, a scale set itself, extra segments, '.' or '..' segments) -> null.
 */
function parseResourceId(rid) {
  if (typeof rid !== 'string') return null;
  if (rid.split('/').some((s) => s === '.' || s === '..')) return null;
  let m = VM_RE.exec(rid);
  if (m) {
    return { form: 'vm', subscriptionId: m[1].toLowerCase(), resourceGroup: m[2], name: m[3], id: rid,
      key: rid.toLowerCase() };
  }
  m = INSTANCE_RE.exec(rid);
  if (m) {
    return { form: 'instance', subscriptionId: m[1].toLowerCase(), resourceGroup: m[2], scaleSet: m[3],
      instanceId: m[4], id: rid, key: rid.toLowerCase() };
  }
  return null;
}

function inScope(parsed, scopes) {
  return scopes.some((s) => s.subscriptionId === parsed.subscriptionId &&
    (s.resourceGroup === null || s.resourceGroup === parsed.resourceGroup.toLowerCase()));
}

/**
 * Check a ticket: the schema (every field's character class), then what the schema cannot say.
 * Returns { ok, reasons[], resource } ; resource is the parsed id when ok.
 */
function checkTicket(ticket, { scopes, cloud, deliveryId }) {
  if (!validateSchema(ticket)) {
    return { ok: false, reasons: validateSchema.errors.map((e) => `schema: ${e.instancePath || '/'} ${e.message}`) };
  }
  const reasons = [];
  const resource = parseResourceId(ticket.resource_id);
  if (!resource) reasons.push('resource_id: not a VM, Flexible member or Uniform instance id');
  if (ticket.resource_kind === 'unknown') reasons.push('resource_kind: unknown');
  if (resource) {
    const formKinds = resource.form === 'vm' ? ['virtual_machine', 'flexible_member'] : ['uniform_instance'];
    if (!formKinds.includes(ticket.resource_kind)) {
      reasons.push(`resource_kind ${ticket.resource_kind} does not match the id's form (${resource.form})`);
    }
    if (!inScope(resource, scopes)) reasons.push('resource_id: outside the configured scope');
  }
  if (ticket.cloud !== null && ticket.cloud !== cloud) reasons.push(`cloud ${ticket.cloud}: this receiver serves ${cloud}`);
  const cur = ticket.current_key_incarnation_id;
  const next = ticket.next_key_incarnation_id;
  if (cur !== null && next !== cur + 1) reasons.push('next_key_incarnation_id is not current + 1');
  if (cur !== null && cur >= INT32_MAX) reasons.push('current_key_incarnation_id is at the int32 limit: no reset possible');
  if (cur === null && next !== null) reasons.push('next_key_incarnation_id given without current');
  if (Number.isNaN(Date.parse(ticket.report_time))) reasons.push('report_time: not a date');
  if (ticket.delivery_id !== null && deliveryId && ticket.delivery_id.toLowerCase() !== deliveryId.toLowerCase()) {
    reasons.push('delivery_id differs from the X-Latchwatch-Delivery header');
  }
  return reasons.length ? { ok: false, reasons } : { ok: true, reasons: [], resource };
}

module.exports = { parseResourceId, checkTicket, inScope, validateSchema, INT32_MAX, GUID_RE, schema };

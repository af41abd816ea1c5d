'use strict';
// Which activity-log operation explains a key loss (ActivityLogs_List EventData, api-version 2015-04-01).
// Only Succeeded events on the resource itself, inside the window before the report, not made by the receiver.

const OPERATIONS = [
  ['microsoft.compute/virtualmachines/reimage/action', 'reimage'],
  ['microsoft.compute/virtualmachinescalesets/virtualmachines/reimage/action', 'reimage'],
  ['microsoft.compute/virtualmachinescalesets/virtualmachines/reimageall/action', 'reimage'],
  ['microsoft.compute/virtualmachines/redeploy/action', 'redeploy'],
  ['microsoft.compute/virtualmachinescalesets/virtualmachines/redeploy/action', 'redeploy'],
  ['microsoft.compute/virtualmachines/performmaintenance/action', 'maintenance'],
  ['microsoft.compute/virtualmachinescalesets/virtualmachines/performmaintenance/action', 'maintenance'],
  // a model write: OS-disk swap, restore to the existing VM, az vm repair restore, disk attach; the log does
  // not say which, so it is its own category and a policy must name it explicitly.
  ['microsoft.compute/virtualmachines/write', 'model_write'],
  ['microsoft.compute/virtualmachinescalesets/virtualmachines/write', 'model_write'],
];
const CATEGORY = new Map(OPERATIONS);

function explain(events, { resourceId, reportTime, windowHours, receiverPrincipalId }) {
  const end = Date.parse(reportTime);
  const start = end - windowHours * 3600 * 1000;
  const found = [];
  for (const e of events) {
    const op = String((e.operationName && e.operationName.value) || '').toLowerCase();
    const category = CATEGORY.get(op);
    if (!category) continue;
    if (String((e.status && e.status.value) || '') !== 'Succeeded') continue;
    if (String(e.resourceId || '').toLowerCase() !== resourceId.toLowerCase()) continue;
    const t = Date.parse(e.eventTimestamp);
    if (!(t >= start && t <= end)) continue;
    const caller = String(e.caller || '');
    if (receiverPrincipalId && caller.toLowerCase() === receiverPrincipalId) continue;
    found.push({ category, operation: e.operationName.value, time: e.eventTimestamp, caller,
      correlationId: e.correlationId || null });
  }
  found.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  return { explained: found.length > 0, operations: found };
}

module.exports = { explain, OPERATIONS };

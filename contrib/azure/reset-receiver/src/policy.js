'use strict';
// The owner's written policy: which corroborated cases are approved without a person.
// {
//   "version": 1,
//   "auto_approve": [
//     { "name": "explained-reimage",
//       "verdicts": ["key_lost", "key_mismatch"],
//       "explained_by": ["reimage", "redeploy"],
//       "max_per_vm_per_day": 1 }
//   ]
// }
// A rule approves when the verdict is listed, an activity-log operation of a listed category explains the loss,
// and fewer than max_per_vm_per_day (at most 1 unless raised) resets were applied to this resource in 24 hours.
// No rule, or no matching rule: a person approves through the one-time link.

const CATEGORIES = new Set(['reimage', 'redeploy', 'maintenance', 'model_write']);

function validatePolicy(policy) {
  const errors = [];
  if (!policy || policy.version !== 1) errors.push('policy.version must be 1');
  const rules = (policy && policy.auto_approve) || [];
  if (!Array.isArray(rules)) errors.push('policy.auto_approve must be an array');
  else rules.forEach((r, i) => {
    if (typeof r.name !== 'string' || !/^[-\w.]{1,64}$/.test(r.name)) errors.push(`rule ${i}: name`);
    if (!Array.isArray(r.verdicts) || r.verdicts.some((v) => !/^[a-z_]{1,64}$/.test(v))) errors.push(`rule ${i}: verdicts`);
    if (!Array.isArray(r.explained_by) || r.explained_by.length === 0 || r.explained_by.some((c) => !CATEGORIES.has(c))) {
      errors.push(`rule ${i}: explained_by must list categories from ${[...CATEGORIES].join(', ')}`);
    }
    if (r.max_per_vm_per_day !== undefined && !(Number.isInteger(r.max_per_vm_per_day) && r.max_per_vm_per_day >= 1 && r.max_per_vm_per_day <= 24)) {
      errors.push(`rule ${i}: max_per_vm_per_day 1..24`);
    }
  });
  return errors;
}

/** -> { auto: true, rule, because } or { auto: false, because } */
function evaluate(policy, { verdict, explanation, resetsLast24h }) {
  for (const r of policy.auto_approve || []) {
    if (!r.verdicts.includes(verdict)) continue;
    const op = explanation.operations.find((o) => r.explained_by.includes(o.category));
    if (!op) continue;
    const max = r.max_per_vm_per_day || 1;
    if (resetsLast24h >= max) {
      return { auto: false, because: `rule ${r.name}: ${resetsLast24h} reset(s) in 24 h already (max ${max})` };
    }
    return { auto: true, rule: r.name, because: `${op.operation} at ${op.time} by ${op.caller}` };
  }
  return { auto: false, because: explanation.explained ? 'no auto-approve rule matches' : 'unexplained: no activity-log operation in the window' };
}

module.exports = { evaluate, validatePolicy };

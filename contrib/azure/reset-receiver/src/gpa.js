'use strict';
// What the instance view says about GPA: the substatus whose code contains ProxyAgentStatus (in an extension
// whose optional `type` contains ProxyAgent) carries GPA's proxyAgentStatus as a JSON string.

function gpaFromInstanceView(view) {
  const extensions = (view && Array.isArray(view.extensions)) ? view.extensions : [];
  for (const ext of extensions) {
    if (!String((ext && ext.type) || '').includes('ProxyAgent')) continue;
    for (const sub of Array.isArray(ext.substatuses) ? ext.substatuses : []) {
      if (!String((sub && sub.code) || '').includes('ProxyAgentStatus')) continue;
      let status = null;
      try { status = JSON.parse(sub.message); } catch { return { present: true, parsed: false }; }
      const latch = (status && status.keyLatchStatus) || {};
      const states = latch.states || {};
      const n = states.keyIncarnationId === undefined ? null : Number(states.keyIncarnationId);
      return {
        present: true, parsed: true, version: status.version || null, keyLatchStatus: latch.status || null,
        keyLatchMessage: typeof latch.message === 'string' ? latch.message.slice(0, 300) : null,
        keyIncarnationId: Number.isInteger(n) ? n : null, keyGuid: states.keyGuid || null,
      };
    }
  }
  return { present: false };
}

function powerState(view) {
  const s = ((view && view.statuses) || []).find((x) => String(x.code || '').startsWith('PowerState/'));
  return s ? s.code : null;
}

module.exports = { gpaFromInstanceView, powerState };

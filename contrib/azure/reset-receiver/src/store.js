'use strict';
// Append-only record store. Every step the receiver takes is one record; nothing is updated or deleted.
// MemoryStore for tests, FileStore (JSON lines, O_APPEND) for a single instance with a persistent /home.
// A Table-storage implementation only needs append() and all().
const fs = require('node:fs');
const path = require('node:path');

class MemoryStore {
  constructor() { this.records = []; }
  append(record) {
    const r = Object.freeze({ seq: this.records.length + 1, ...record });
    this.records.push(r);
    return r;
  }
  all() { return this.records.slice(); }
}

class FileStore extends MemoryStore {
  constructor(file) {
    super();
    this.file = file;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (line.trim()) this.records.push(Object.freeze(JSON.parse(line)));
      }
    }
  }
  append(record) {
    const r = super.append(record);
    fs.appendFileSync(this.file, JSON.stringify(r) + '\n', { flag: 'a' });
    return r;
  }
}

module.exports = { MemoryStore, FileStore };

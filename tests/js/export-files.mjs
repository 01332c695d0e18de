// Reads a built site's search files the way the search page's <script> tags do: each file
// calls pmsiteSearch.receive(name, data), and the name must be the one asked for. Shared
// by the tests in tests/js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// What a file under `dir` hands to pmsiteSearch.receive, whatever its name.
export function receive(dir, file) {
  let received;
  new Function('pmsiteSearch', fs.readFileSync(path.join(dir, file), 'utf8'))({ receive: (name, data) => { received = { name, data }; } });
  return received;
}

// A loader for the client's `Engine` over the export in `dir`; `loaded` collects the files
// it read, in order.
export function loader(dir, loaded = []) {
  return (name, file) => {
    if (!fs.existsSync(path.join(dir, file))) return Promise.reject(new Error('cannot load ' + file));
    const received = receive(dir, file);
    assert.equal(received.name, name, file);
    loaded.push(file);
    return Promise.resolve(received.data);
  };
}

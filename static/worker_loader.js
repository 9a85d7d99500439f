// The analysis worker's entry: the page spawns it (src/bridge.rs); it loads the worker's code
// and starts its Wasm. A start that fails (the Wasm not fetched or not compiled, memory refused)
// only rejects a promise, which the page would never hear of; thrown from a task instead, it
// reaches the page's `Worker.onerror`, which fails the run rather than waiting for ever.
importScripts('./worker.js');
wasm_bindgen('./worker_bg.wasm').catch((error) =>
  setTimeout(() => {
    throw error;
  }),
);

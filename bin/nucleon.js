#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// The compiled entry point; `npm install` builds dist/ (the prepare script), `npm run build` rebuilds it.
// The all-in-one's memory (docs/server.md, Long lists and memory): V8's young generation at 2 x 4 MiB instead of
// growing to 2 x 16 MiB, and a full collection once the old generation has grown by half instead of V8's own
// factor (up to 4x), which let a few long lists' garbage pile up. `node [flags] bin/nucleon.js` runs without
// them, with the flags given there.
import '../dist/cli/nucleon.js';

#!/usr/bin/env node
// The compiled entry point; `npm install` builds dist/ (the prepare script), `npm run build` rebuilds it.
import '../dist/cli/openvswitchAgent.js';

#!/usr/bin/env node
// Placeholder until the pipeline issue lands: says so honestly.
console.log("mc: the pipeline app is not built yet (see issue 'apps/pipeline').");

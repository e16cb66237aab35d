'use strict';
// Entry point at the release root: the stack's app_node role runs
// `<release>/server.js` by default (app_node_script). The app is in src/.
require('./src/server').main();

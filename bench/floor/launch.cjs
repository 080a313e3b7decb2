// Starts bench/tmp/driver-floor.cjs (bundled by bench/run.js) the way bin/launch.cjs starts a command.
'use strict';
const path = require('node:path');
require('../../bin/launch.cjs').loadBundle(path.join(__dirname, '..', 'tmp', 'driver-floor.cjs'), 'driver-floor');

// The `bson` package as CommonJS, as the driver requires it: one copy of its classes in every process, bundled or
// not (an ES import would load its ES build beside the driver's CommonJS one, and `instanceof` would fail
// across the two).
import bson = require('bson');

export = bson;

#!/usr/bin/env node
import "../dist/src/cli/extract-plan.js";
